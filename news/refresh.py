"""refresh_feed: fetch -> parse -> store for one feed, and the outcome recorded.

Article pages of teasers are not fetched here: they are completed in later rounds (news.pages).

This is one of the three catch points of the project: whatever goes wrong with one feed is
recorded on that feed (with a back-off) and the batch carries on.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from news import cadence
from news.errors import HTTPStatusError, NewsbotError
from news.fetch import Fetcher
from news.models import Feed, FetchResult, ParsedFeed
from news.pages import needs_page, off_loop
from news.parse import parse_feed
from news.settings import Settings
from news.storage import articles as article_store
from news.storage import feeds as feed_store
from news.storage.db import Store

log = logging.getLogger(__name__)


@dataclass(slots=True)
class RefreshResult:
    """What happened to one feed in one poll."""

    feed_id: int
    url: str
    status: str  # "ok", "not_modified" or "error"
    new_articles: int = 0
    error: str | None = None
    next_check_at: datetime | None = None
    seconds: dict[str, float] = field(default_factory=dict)


def is_local(url: str) -> bool:
    """Return whether a feed URL points at the local disk (allowed only from the command line)."""
    return urlsplit(url).scheme in ("file", "")


async def refresh_feed(
    store: Store,
    fetcher: Fetcher,
    feed: Feed,
    settings: Settings,
    *,
    now: datetime,
    executor: Executor | None = None,
) -> RefreshResult:
    """Poll one feed and store its new articles; return the outcome (a failure is recorded).

    The feed is parsed in `executor` (a process pool) when one is given, else in a thread.
    """
    result = RefreshResult(feed.id, feed.url, "ok")
    try:
        await _refresh(store, fetcher, feed, settings, now, result, executor)
    except NewsbotError as exc:
        await _failed(store, feed, settings, now, result, exc)
    except Exception as exc:
        # A bug or a database refusal on one feed's data must not stop the batch: the feed
        # backs off like any failing feed, and the traceback goes to the log once.
        log.exception("feed refresh crashed feed_id=%s url=%s", feed.id, feed.url)
        await _failed(store, feed, settings, now, result, exc)
    return result


async def _failed(
    store: Store,
    feed: Feed,
    settings: Settings,
    now: datetime,
    result: RefreshResult,
    exc: Exception,
) -> None:
    """Record the failure on the feed and set its next check, backed off."""
    retry_after = exc.retry_after if isinstance(exc, HTTPStatusError) else None
    message = (
        str(exc)
        if isinstance(exc, NewsbotError)
        else (f"refresh: unexpected {type(exc).__name__}; see the log")
    )
    result.status, result.error = "error", message
    result.next_check_at = cadence.backoff(
        now,
        error_count=feed.error_count + 1,
        min_interval=settings.min_check_interval,
        max_backoff=settings.max_backoff,
        retry_after=retry_after,
    )
    log.warning("feed refresh failed feed_id=%s url=%s error=%s", feed.id, feed.url, message)
    await feed_store.record_error(
        store, feed.id, now=now, error=message[:500], next_check_at=result.next_check_at
    )


async def _refresh(
    store: Store,
    fetcher: Fetcher,
    feed: Feed,
    settings: Settings,
    now: datetime,
    result: RefreshResult,
    executor: Executor | None,
) -> None:
    clock = time.perf_counter()
    fetched = await fetcher.fetch(
        feed.url, etag=feed.etag, last_modified=feed.last_modified, allow_file=is_local(feed.url)
    )
    clock = _lap(result, "fetch", clock)
    if fetched.moved_to and fetched.moved_to != feed.url:
        # 301/308 on every hop: the feed lives there now, for every chat that reads it.
        await feed_store.move_url(store, feed.id, fetched.moved_to)
    if fetched.not_modified:
        result.status = "not_modified"
        result.next_check_at = cadence.next_check(
            now,
            min_interval=settings.min_check_interval,
            max_interval=settings.max_check_interval,
            cache_control=fetched.cache_control,
            expires=fetched.expires,
            retry_after=fetched.retry_after,
        )
        await feed_store.record_not_modified(
            store, feed.id, now=now, next_check_at=result.next_check_at
        )
        _lap(result, "store", clock)
        return
    parsed = await parse_fetched(fetched, executor)
    clock = _lap(result, "parse", clock)
    await store_fetched(store, feed.id, fetched, parsed, settings, now=now, result=result)
    _lap(result, "store", clock)


async def parse_fetched(fetched: FetchResult, executor: Executor | None = None) -> ParsedFeed:
    """Return the feed in a fetched body (parsed in `executor`, or a thread); raise ParseError."""
    return await off_loop(
        executor, parse_feed, fetched.body, url=fetched.url, content_type=fetched.content_type
    )


async def store_fetched(
    store: Store,
    feed_id: int,
    fetched: FetchResult,
    parsed: ParsedFeed,
    settings: Settings,
    *,
    now: datetime,
    result: RefreshResult,
    due_now: bool = False,
) -> None:
    """Store a fetched feed's entries, then its caching headers and next check (into `result`).

    Entries go in with the feed's own text, committed at once; teasers wait for their article
    page (news.pages), so a feed of thousands of them is stored in one poll, whatever comes next.
    `due_now`: the next check is now (a conditional GET then costs the server a 304).
    """
    next_check_at = now if due_now else _next_check(now, fetched, parsed, settings)
    # One transaction: the known entries are read, the new ones stored (teasers marked to wait
    # for their page: news.pages) and the feed's outcome recorded. Known entries go to the
    # upsert too, so a story the feed has since corrected is stored again (and summarized again).
    result.new_articles = await article_store.upsert_articles(
        store,
        feed_id,
        parsed.entries,
        now=now,
        page_if=lambda entry: needs_page(entry, settings),
        also=feed_store.success_writer(
            feed_id,
            now=now,
            next_check_at=next_check_at,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            title=parsed.title,
            site_url=parsed.site_url,
        ),
    )
    result.next_check_at = next_check_at


def _next_check(
    now: datetime, fetched: FetchResult, parsed: ParsedFeed, settings: Settings
) -> datetime:
    return cadence.next_check(
        now,
        min_interval=settings.min_check_interval,
        max_interval=settings.max_check_interval,
        ttl_minutes=parsed.ttl_minutes,
        entry_dates=[e.published_at for e in parsed.entries],
        cache_control=fetched.cache_control,
        expires=fetched.expires,
        retry_after=fetched.retry_after,
    )


def _lap(result: RefreshResult, stage: str, start: float) -> float:
    now = time.perf_counter()
    result.seconds[stage] = result.seconds.get(stage, 0.0) + (now - start)
    return now

"""refresh_feed: fetch -> parse -> extract -> store for one feed, and the outcome recorded.

This is one of the three catch points of the project: whatever goes wrong with one feed is
recorded on that feed (with a back-off) and the batch carries on.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from news import cadence
from news.errors import ExtractError, FetchError, HTTPStatusError, NewsbotError
from news.extract import extract, is_teaser
from news.fetch import HTML_ACCEPT, Fetcher
from news.models import Feed, ParsedEntry
from news.parse import parse_feed
from news.settings import Settings
from news.storage import articles as article_store
from news.storage import feeds as feed_store
from news.storage.db import Store

log = logging.getLogger(__name__)

# Article pages fetched at once for one feed; the fetcher's per-host cap applies on top.
EXTRACT_CONCURRENCY = 4


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
    store: Store, fetcher: Fetcher, feed: Feed, settings: Settings, *, now: datetime
) -> RefreshResult:
    """Poll one feed and store its new articles; return the outcome (a failure is recorded)."""
    result = RefreshResult(feed.id, feed.url, "ok")
    try:
        await _refresh(store, fetcher, feed, settings, now, result)
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
    """Record the failure on the feed and schedule its retry with back-off."""
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
) -> None:
    clock = time.perf_counter()
    fetched = await fetcher.fetch(
        feed.url, etag=feed.etag, last_modified=feed.last_modified, allow_file=is_local(feed.url)
    )
    clock = _lap(result, "fetch", clock)
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
    parsed = await asyncio.to_thread(
        parse_feed, fetched.body, url=fetched.url, content_type=fetched.content_type
    )
    clock = _lap(result, "parse", clock)
    known = await article_store.stored_entries(
        store, feed.id, [e.entry_hash for e in parsed.entries]
    )
    new = [e for e in parsed.entries if e.entry_hash not in known]
    clock = _lap(result, "store", clock)
    # Only new entries cost an article page; known ones go to the upsert too, so a story the
    # feed has since corrected is stored again (and summarized again).
    completed, extracted = await _complete_teasers(fetcher, new, settings)
    clock = _lap(result, "extract", clock)
    by_hash = {e.entry_hash: e for e in completed}
    entries = [by_hash.get(e.entry_hash, e) for e in parsed.entries]
    result.new_articles = await article_store.upsert_articles(
        store, feed.id, entries, now=now, extracted=extracted, stored=known
    )
    result.next_check_at = cadence.next_check(
        now,
        min_interval=settings.min_check_interval,
        max_interval=settings.max_check_interval,
        ttl_minutes=parsed.ttl_minutes,
        entry_dates=[e.published_at for e in parsed.entries],
        cache_control=fetched.cache_control,
        expires=fetched.expires,
        retry_after=fetched.retry_after,
    )
    await feed_store.record_success(
        store,
        feed.id,
        now=now,
        next_check_at=result.next_check_at,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        title=parsed.title,
        site_url=parsed.site_url,
    )
    _lap(result, "store", clock)


async def _complete_teasers(
    fetcher: Fetcher, entries: list[ParsedEntry], settings: Settings
) -> tuple[list[ParsedEntry], frozenset[str]]:
    """Replace teaser texts by the article page's main text; keep the teaser when that fails."""
    limit = asyncio.Semaphore(EXTRACT_CONCURRENCY)

    async def complete(entry: ParsedEntry) -> ParsedEntry | None:
        if not entry.url or not is_teaser(entry.text, min_words=settings.teaser_words):
            return None
        if urlsplit(entry.url).scheme not in ("http", "https"):
            return None
        async with limit:
            try:
                page = await fetcher.fetch(entry.url, accept=HTML_ACCEPT)
                text = await asyncio.to_thread(
                    extract, page.body, url=page.url, content_type=page.content_type
                )
            except (FetchError, ExtractError) as exc:
                log.info("keeping the feed's teaser url=%s reason=%s", entry.url, exc)
                return None
        if len(text) <= len(entry.text):
            return None
        return dataclasses.replace(entry, text=text)

    completed = await asyncio.gather(*(complete(e) for e in entries))
    out = [c if c is not None else e for e, c in zip(entries, completed, strict=True)]
    return out, frozenset(c.entry_hash for c in completed if c is not None)


def _lap(result: RefreshResult, stage: str, start: float) -> float:
    now = time.perf_counter()
    result.seconds[stage] = result.seconds.get(stage, 0.0) + (now - start)
    return now

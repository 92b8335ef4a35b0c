"""Article pages: teasers stored from their feed get their page's main text in later rounds.

A refresh stores every entry at once, teasers marked as waiting for their page. A round then
claims those pages a few at a time (one write), hands them to its lanes one by one, newest
first and at most `pages_per_round` per feed, fetches and extracts each while its lease is
renewed, and stores the text (or keeps the teaser when the page cannot be had). A crash loses
only the pages in flight or claimed: their leases expire and the next round, here or in
another worker, takes them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from functools import partial
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

from news import observe
from news.errors import ExtractError, FetchError
from news.extract import extract, is_teaser
from news.fetch import HTML_ACCEPT, Fetcher
from news.lease import renewed
from news.models import ParsedEntry
from news.settings import Settings
from news.storage import articles as article_store
from news.storage.articles import PendingPage
from news.storage.db import Store

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

# Article pages fetched at once by one worker; the fetcher's per-host cap applies on top.
EXTRACT_CONCURRENCY = 4
# Pages claimed in one write, handed to the lanes in turn.
CLAIM_PAGES = 2 * EXTRACT_CONCURRENCY


async def off_loop(
    executor: Executor | None, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs
) -> R:
    """Return fn(*args, **kwargs) run in `executor` (a process pool), or in a thread.

    A pool whose process died is not this call's failure: the work is done in a thread, and
    the pool's owner replaces it before the next cycle (jobs.summarize.Summarizer).
    """
    call = partial(fn, *args, **kwargs)
    if executor is not None:
        try:
            return await asyncio.get_running_loop().run_in_executor(executor, call)
        except BrokenProcessPool:
            log.warning("parse process died; parsing in a thread until it is replaced")
    return await asyncio.to_thread(call)


def needs_page(entry: ParsedEntry, settings: Settings) -> bool:
    """Return whether an entry's feed text is a teaser that its web page may complete."""
    if not entry.url or not is_teaser(entry.text, min_words=settings.teaser_words):
        return False
    return urlsplit(entry.url).scheme in ("http", "https")


async def complete_pages(
    store: Store,
    fetcher: Fetcher,
    settings: Settings,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    executor: Executor | None = None,
) -> int:
    """Run one round over the pages waiting now; return how many articles it finished.

    The pages are extracted in `executor` (a process pool) when one is given, else in threads.
    """
    done: Counter[int] = Counter()
    capped: set[int] = set()
    claimed: deque[PendingPage] = deque()
    claiming = asyncio.Lock()  # the per-feed cap is counted between two claims

    async def claim() -> PendingPage | None:
        async with claiming:
            if not claimed:
                # A few pages per write; each waits at most until every lane has finished a
                # page (a fetch is bounded by its deadline, well under the lease).
                batch = await article_store.claim_pages(
                    store,
                    now=now(),
                    lease_seconds=settings.lease_seconds,
                    limit=CLAIM_PAGES,
                    skip_feeds=capped,
                )
                over = []
                for page in batch:
                    if page.feed_id in capped:
                        over.append(page.id)  # its feed reached the cap within this batch
                        continue
                    claimed.append(page)
                    done[page.feed_id] += 1
                    if done[page.feed_id] >= settings.pages_per_round:
                        capped.add(page.feed_id)
                await article_store.release_pages(store, over)
            return claimed.popleft() if claimed else None

    async def lane() -> None:
        while page := await claim():
            await _complete(store, fetcher, settings, page, now, executor)

    await asyncio.gather(*(lane() for _ in range(EXTRACT_CONCURRENCY)))
    if done:
        log.info("article pages done pages=%d feeds=%d", done.total(), len(done))
    return done.total()


async def _complete(
    store: Store,
    fetcher: Fetcher,
    settings: Settings,
    page: PendingPage,
    now: Callable[[], datetime],
    executor: Executor | None,
) -> None:
    async def renew() -> None:
        await article_store.renew_page_lease(
            store, page.id, now=now(), lease_seconds=settings.lease_seconds
        )

    started = time.perf_counter()
    async with renewed(renew, every=settings.lease_seconds / 3):
        text = await page_text(fetcher, page, executor)
    observe.STAGE_SECONDS.labels("extract").observe(time.perf_counter() - started)
    await article_store.complete_page(store, page, text=text, now=now())


async def page_text(
    fetcher: Fetcher, page: PendingPage, executor: Executor | None = None
) -> str | None:
    """Return the main text of the article's page when it says more than the teaser, else None."""
    try:
        fetched = await fetcher.fetch(page.url, accept=HTML_ACCEPT)
        text = await off_loop(
            executor, extract, fetched.body, url=fetched.url, content_type=fetched.content_type
        )
    except (FetchError, ExtractError) as exc:
        log.info("keeping the feed's teaser url=%s reason=%s", page.url, exc)
        return None
    except Exception:
        # Like a feed in refresh_feed: one page that trips a bug must not stop the round, or
        # come back after every lease to stop the next one. Its teaser is kept.
        log.exception("article page crashed url=%s", page.url)
        return None
    return text if len(text) > len(page.text) else None

"""The polling job: claim the due feeds and refresh them with bounded concurrency, then one
round of the article pages their teasers wait for. `newsbot poll` runs it with the summarizer
working beside it (poll_and_summarize), as the worker's jobs do."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from jobs.summarize import Summarizer, summarize_pending
from news import observe
from news.fetch import Fetcher
from news.lease import renewed
from news.models import Feed
from news.pages import complete_pages
from news.refresh import RefreshResult, refresh_feed
from news.settings import Settings
from news.storage import feeds as feed_store
from news.storage.db import Store

log = logging.getLogger(__name__)

# While a poll runs, poll_and_summarize looks for new articles this often once it has caught up.
SUMMARIZE_BESIDE_EVERY = 1.0


def worker_name() -> str:
    """Return this process's lease owner name: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(slots=True)
class PollReport:
    """The outcome of one polling cycle."""

    results: list[RefreshResult] = field(default_factory=list)
    pages: int = 0  # articles the page round finished

    @property
    def polled(self) -> int:
        """Return how many feeds were polled."""
        return len(self.results)

    @property
    def new_articles(self) -> int:
        """Return how many new articles were stored."""
        return sum(r.new_articles for r in self.results)

    @property
    def failed(self) -> list[RefreshResult]:
        """Return the feeds that failed."""
        return [r for r in self.results if r.status == "error"]


async def poll_due_feeds(
    store: Store,
    fetcher: Fetcher,
    settings: Settings,
    *,
    all_feeds: bool = False,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    on_result: Callable[[RefreshResult], None] | None = None,
) -> PollReport:
    """Poll every feed due now (or every feed) once; return what happened to each.

    Feeds that come due while the cycle runs wait for the next one: a cycle ends, and its
    report holds each feed once, however busy the feeds are.
    """
    owner = worker_name()
    report = PollReport()
    started = now()

    async def lane() -> None:
        # Each lane claims one feed at a time, just before polling it: a lease taken long
        # before its feed's turn could run out while it waits, and another worker would poll
        # that feed too. A slow feed holds up only its own lane.
        while True:
            claimed = await feed_store.claim_due_feeds(
                store,
                now=now(),
                due_by=started,
                limit=1,
                owner=owner,
                lease_seconds=settings.lease_seconds,
            )
            if not claimed:
                return
            result = await _refresh_leased(store, fetcher, claimed[0], settings, owner, now)
            report.results.append(result)
            _count(result)
            if on_result is not None:
                on_result(result)

    if all_feeds:
        # Every feed becomes due now; once polled, each gets its next check in the future, so
        # the lanes poll each exactly once.
        await feed_store.make_all_due(store, now=started)
    await asyncio.gather(*(lane() for _ in range(settings.poll_concurrency)))
    report.pages = await complete_pages(store, fetcher, settings, now=now)
    log.info(
        "poll cycle done feeds=%d new_articles=%d pages=%d errors=%d",
        report.polled,
        report.new_articles,
        report.pages,
        len(report.failed),
    )
    return report


async def _refresh_leased(
    store: Store,
    fetcher: Fetcher,
    feed: Feed,
    settings: Settings,
    owner: str,
    now: Callable[[], datetime],
) -> RefreshResult:
    """Refresh a claimed feed, renewing its lease until the outcome is recorded."""

    async def renew() -> None:
        await feed_store.renew_lease(
            store, feed.id, owner, now=now(), lease_seconds=settings.lease_seconds
        )

    async with renewed(renew, every=settings.lease_seconds / 3):
        return await refresh_feed(store, fetcher, feed, settings, now=now())


def _count(result: RefreshResult) -> None:
    observe.FEEDS_POLLED.labels(result.status).inc()
    observe.ARTICLES_STORED.inc(result.new_articles)
    for stage, seconds in result.seconds.items():
        observe.STAGE_SECONDS.labels(stage).observe(seconds)


async def poll_and_summarize(
    store: Store,
    fetcher: Fetcher,
    settings: Settings,
    *,
    summarizer: Summarizer | None = None,
    all_feeds: bool = False,
    on_result: Callable[[RefreshResult], None] | None = None,
) -> tuple[PollReport, int]:
    """Poll once while summarizing what arrives; return the report and how many were summarized.

    The summaries are made beside the poll, as the worker's summarize job makes them (in the
    `summarizer`'s processes, or in a thread without one), then the rest once the poll is done:
    the poll's HTTP, parsing and SQL and the summarizer share the time instead of taking turns.
    """
    polled = asyncio.Event()

    async def poll() -> PollReport:
        try:
            return await poll_due_feeds(
                store, fetcher, settings, all_feeds=all_feeds, on_result=on_result
            )
        finally:
            polled.set()

    async def beside() -> int:
        made = 0
        while not polled.is_set():
            made += await summarize_pending(store, settings, summarizer=summarizer)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(polled.wait(), SUMMARIZE_BESIDE_EVERY)
        return made

    report, during = await asyncio.gather(poll(), beside())
    return report, during + await summarize_pending(store, settings, summarizer=summarizer)

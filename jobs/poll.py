"""The polling job: claim the due feeds and refresh them with bounded concurrency, then one
round of the article pages their teasers wait for. `newsbot poll` runs it with the summarizer
working beside it (poll_and_summarize), as the worker's jobs do."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor
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
    executor: Executor | None = None,
) -> PollReport:
    """Poll every feed due now (or every feed) once; return what happened to each.

    Feeds are parsed and article pages extracted in `executor` (a process) when one is given.

    Feeds that come due while the cycle runs wait for the next one: a cycle ends, and its
    report holds each feed once, however busy the feeds are.
    """
    owner = worker_name()
    report = PollReport()
    started = now()
    claims = _Claims(store, settings, owner, started, now)

    async def lane() -> None:
        # A slow feed holds up only its own lane.
        while (feed := await claims.next()) is not None:
            result = await _refresh_leased(store, fetcher, feed, settings, owner, now, executor)
            report.results.append(result)
            _count(result)
            if on_result is not None:
                on_result(result)

    if all_feeds:
        # Every feed becomes due now; once polled, each gets its next check in the future, so
        # the lanes poll each exactly once.
        await feed_store.make_all_due(store, now=started)
    await asyncio.gather(*(lane() for _ in range(settings.poll_concurrency)))
    report.pages = await complete_pages(store, fetcher, settings, now=now, executor=executor)
    log.info(
        "poll cycle done feeds=%d new_articles=%d pages=%d errors=%d",
        report.polled,
        report.new_articles,
        report.pages,
        len(report.failed),
    )
    return report


class _Claims:
    """Due feeds claimed a lane's worth at a time (one write for many feeds), handed out in turn.

    A claimed feed waits here at most until each lane has finished one feed (a fetch is bounded
    by its deadline, well under the lease), and a feed held longer than a third of the lease is
    given back rather than polled on a lease that could run out: another claim takes it again.
    """

    def __init__(
        self,
        store: Store,
        settings: Settings,
        owner: str,
        started: datetime,
        now: Callable[[], datetime],
    ) -> None:
        self.store, self.settings, self.owner, self.started, self.now = (
            store,
            settings,
            owner,
            started,
            now,
        )
        self.queue: deque[tuple[Feed, datetime]] = deque()
        self.lock = asyncio.Lock()
        self.exhausted = False

    async def next(self) -> Feed | None:
        """Return the next claimed feed, claiming more when none is left; None when done."""
        async with self.lock:
            while True:
                while self.queue:
                    feed, claimed_at = self.queue.popleft()
                    held = (self.now() - claimed_at).total_seconds()
                    if held < self.settings.lease_seconds / 3:
                        return feed
                    await feed_store.release_lease(self.store, feed.id, self.owner)
                if self.exhausted:
                    return None
                await self._claim()

    async def _claim(self) -> None:
        # Every feed due when the cycle started, each once: a feed polled in this cycle has
        # its next check in the future, and one that comes due meanwhile waits for the next.
        limit = self.settings.poll_concurrency
        at = self.now()
        claimed = await feed_store.claim_due_feeds(
            self.store,
            now=at,
            due_by=self.started,
            limit=limit,
            owner=self.owner,
            lease_seconds=self.settings.lease_seconds,
        )
        # Fewer than asked is no proof of the end on PostgreSQL (SKIP LOCKED): ask until none.
        self.exhausted = not claimed
        self.queue.extend((feed, at) for feed in claimed)


async def _refresh_leased(
    store: Store,
    fetcher: Fetcher,
    feed: Feed,
    settings: Settings,
    owner: str,
    now: Callable[[], datetime],
    executor: Executor | None,
) -> RefreshResult:
    """Refresh a claimed feed, renewing its lease until the outcome is recorded."""

    async def renew() -> None:
        await feed_store.renew_lease(
            store, feed.id, owner, now=now(), lease_seconds=settings.lease_seconds
        )

    async with renewed(renew, every=settings.lease_seconds / 3):
        return await refresh_feed(store, fetcher, feed, settings, now=now(), executor=executor)


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
                store,
                fetcher,
                settings,
                all_feeds=all_feeds,
                on_result=on_result,
                executor=summarizer.parser() if summarizer is not None else None,
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

"""The polling job: claim the due feeds and refresh them with bounded concurrency."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from news import observe
from news.fetch import Fetcher
from news.models import Feed
from news.refresh import RefreshResult, refresh_feed
from news.settings import Settings
from news.storage import feeds as feed_store
from news.storage.db import Store

log = logging.getLogger(__name__)

ALL_FEEDS = 1_000_000


def worker_name() -> str:
    """Return this process's lease owner name: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(slots=True)
class PollReport:
    """The outcome of one polling cycle."""

    results: list[RefreshResult] = field(default_factory=list)

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
    """Poll every due feed (or every feed) once; return what happened to each."""
    owner = worker_name()
    report = PollReport()
    limit = asyncio.Semaphore(settings.poll_concurrency)

    async def one(feed: Feed) -> None:
        async with limit:
            result = await refresh_feed(store, fetcher, feed, settings, now=now())
        report.results.append(result)
        _count(result)
        if on_result is not None:
            on_result(result)

    while True:
        # --all claims every feed in one go: a feed polled moments ago would be due again.
        batch = await feed_store.claim_due_feeds(
            store,
            now=now(),
            limit=ALL_FEEDS if all_feeds else settings.poll_batch,
            owner=owner,
            lease_seconds=settings.lease_seconds,
            all_feeds=all_feeds,
        )
        await asyncio.gather(*(one(feed) for feed in batch))
        if all_feeds or len(batch) < settings.poll_batch:
            break
    log.info(
        "poll cycle done feeds=%d new_articles=%d errors=%d",
        report.polled,
        report.new_articles,
        len(report.failed),
    )
    return report


def _count(result: RefreshResult) -> None:
    observe.FEEDS_POLLED.labels(result.status).inc()
    observe.ARTICLES_STORED.inc(result.new_articles)
    for stage, seconds in result.seconds.items():
        observe.STAGE_SECONDS.labels(stage).observe(seconds)

"""The worker process: APScheduler 3.11 ticks the jobs, and the state lives in rows.

Each job only asks the database for due work (feeds, articles without summaries, subscriptions
whose digest time has come), so several workers can tick side by side and a crash loses
nothing: the next tick, here or in another process, picks the work up again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from jobs.plan import plan_due_digests
from jobs.poll import poll_due_feeds
from jobs.summarize import Summarizer, summarize_pending
from news.fetch import Fetcher
from news.settings import Settings
from news.storage import outbox, searches
from news.storage.db import Store

log = logging.getLogger(__name__)

Job = Callable[["Deps"], Coroutine[object, object, None]]

SUMMARIZE_EVERY = 5.0
PLAN_EVERY = 15.0
HOUSEKEEPING_EVERY = 3600.0
# Saved searches back the Next/Previous buttons; a week-old button may say "search again".
KEEP_SEARCHES = timedelta(days=7)
# Delivered messages count in /stats for a day; a month keeps them for investigations.
KEEP_MESSAGES = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Deps:
    """What the jobs need, built once by the composition root."""

    settings: Settings
    store: Store
    fetcher: Fetcher
    # The summarizer processes; run_worker starts them when settings.summarize_processes > 0.
    summarizer: Summarizer | None = None


async def poll_job(deps: Deps) -> None:
    """Poll the due feeds, then summarize what arrived."""
    parser = deps.summarizer.parser() if deps.summarizer is not None else None
    await poll_due_feeds(deps.store, deps.fetcher, deps.settings, executor=parser)
    await summarize_job(deps)


async def summarize_job(deps: Deps) -> None:
    """Summarize articles that are still without a summary."""
    await summarize_pending(deps.store, deps.settings, summarizer=deps.summarizer)


async def plan_job(deps: Deps) -> None:
    """Render the digests whose time has come into the outbox."""
    await plan_due_digests(deps.store, deps.settings, now=datetime.now(UTC))


async def housekeeping_job(deps: Deps) -> None:
    """Delete saved searches and delivered messages nobody needs any more."""
    now = datetime.now(UTC)
    searches_deleted = await searches.delete_searches_before(deps.store, now - KEEP_SEARCHES)
    messages_deleted = await outbox.purge_finished(deps.store, before=now - KEEP_MESSAGES)
    log.info("housekeeping searches=%d messages=%d", searches_deleted, messages_deleted)


def _stops_quietly(job: Job) -> Job:
    """Wrap a job so that being cancelled at shutdown is a clean stop, not a logged failure.

    Whatever the job was doing is rolled back with its transaction; leases it held expire and
    the next worker picks the work up.
    """

    @functools.wraps(job)
    async def run(deps: Deps) -> None:
        try:
            await job(deps)
        except asyncio.CancelledError:
            log.info("job stopped at shutdown job=%s", job.__name__)

    return run


def register(scheduler: AsyncIOScheduler, deps: Deps, *, plan: bool = True) -> None:
    """Add the worker's jobs to `scheduler`; each runs at most once at a time."""
    now = datetime.now(UTC)
    jobs: list[tuple[Job, float, bool]] = [
        (poll_job, deps.settings.poll_tick, True),
        (summarize_job, SUMMARIZE_EVERY, False),
        (housekeeping_job, HOUSEKEEPING_EVERY, False),
    ]
    if plan:
        jobs.append((plan_job, PLAN_EVERY, True))
    for job, seconds, at_once in jobs:
        job = _stops_quietly(job)
        # APScheduler pauses a job added with next_run_time=None: leave it out instead.
        first = {"next_run_time": now} if at_once else {}
        scheduler.add_job(
            job,
            "interval",
            seconds=seconds,
            args=[deps],
            id=job.__name__,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            **first,
        )


async def run_worker(deps: Deps, stop: asyncio.Event) -> None:
    """Run the worker's jobs until `stop` is set."""
    processes = deps.settings.summarize_processes
    owned = Summarizer(processes) if deps.summarizer is None and processes > 0 else None
    if owned is not None:
        deps = dataclasses.replace(deps, summarizer=owned)
    scheduler = AsyncIOScheduler(timezone=UTC)
    register(scheduler, deps)
    scheduler.start()
    log.info(
        "worker started poll_every=%ss summarize_processes=%d",
        deps.settings.poll_tick,
        processes,
    )
    try:
        await stop.wait()
    finally:
        # The scheduler cancels the running jobs; then the pool drops what was queued.
        scheduler.shutdown(wait=False)
        if owned is not None:
            await owned.close()
        log.info("worker stopped")

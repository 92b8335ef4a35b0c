"""The one place that sets the jobs' intervals: APScheduler 3.11 ticks, the state lives in rows.

Each job only asks the database for due work (feeds, articles without summaries, subscriptions
whose digest time has come), so several workers can tick side by side and a crash loses
nothing: the next tick, here or in another process, picks the work up again.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from jobs.plan import plan_due_digests
from jobs.poll import poll_due_feeds
from jobs.summarize import summarize_pending
from news.fetch import Fetcher
from news.settings import Settings
from news.storage.db import Store

log = logging.getLogger(__name__)

SUMMARIZE_EVERY = 5.0
PLAN_EVERY = 15.0


@dataclass(frozen=True, slots=True)
class Deps:
    """What the jobs need, built once by the composition root."""

    settings: Settings
    store: Store
    fetcher: Fetcher


async def poll_job(deps: Deps) -> None:
    """Poll the due feeds, then summarize what arrived."""
    await poll_due_feeds(deps.store, deps.fetcher, deps.settings)
    await summarize_job(deps)


async def summarize_job(deps: Deps) -> None:
    """Summarize articles that are still without a summary."""
    await summarize_pending(deps.store, deps.settings)


async def plan_job(deps: Deps) -> None:
    """Render the digests whose time has come into the outbox."""
    await plan_due_digests(deps.store, deps.settings, now=datetime.now(UTC))


def register(scheduler: AsyncIOScheduler, deps: Deps, *, plan: bool = True) -> None:
    """Add the worker's jobs to `scheduler`; each runs at most once at a time."""
    options = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
    now = datetime.now(UTC)
    scheduler.add_job(
        poll_job,
        "interval",
        seconds=deps.settings.poll_tick,
        args=[deps],
        id="poll",
        next_run_time=now,
        **options,
    )
    scheduler.add_job(
        summarize_job,
        "interval",
        seconds=SUMMARIZE_EVERY,
        args=[deps],
        id="summarize",
        **options,
    )
    if plan:
        scheduler.add_job(
            plan_job,
            "interval",
            seconds=PLAN_EVERY,
            args=[deps],
            id="plan",
            next_run_time=now,
            **options,
        )


async def run_worker(deps: Deps, stop: asyncio.Event) -> None:
    """Run the worker's jobs until `stop` is set."""
    scheduler = AsyncIOScheduler(timezone=UTC)
    register(scheduler, deps)
    scheduler.start()
    log.info("worker started poll_every=%ss", deps.settings.poll_tick)
    try:
        await stop.wait()
    finally:
        scheduler.shutdown(wait=False)
        log.info("worker stopped")

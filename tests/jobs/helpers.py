"""What the jobs tests share."""

from __future__ import annotations

import asyncio
import contextlib

from harness.wait import wait_until
from jobs.worker import Deps, run_worker
from news.fetch import Fetcher
from news.settings import Settings
from news.storage import articles as article_store
from news.storage.db import Store


async def run_worker_until_summarized(
    store: Store, settings: Settings, *, seconds: float, stop_within: float | None = None
) -> None:
    """Run `newsbot worker`'s jobs until articles are stored and all summarized, then stop it.

    Gives up waiting after `seconds`; `stop_within` bounds how long the worker may take to stop.
    """
    stop = asyncio.Event()
    async with Fetcher(settings) as fetcher:
        task = asyncio.create_task(run_worker(Deps(settings, store, fetcher), stop))

        async def summarized() -> bool:
            counts = await article_store.article_counts(store)
            return bool(counts["total"]) and not counts["unsummarized"]

        try:
            # Giving up is the test's to report: its assertions say what is missing.
            with contextlib.suppress(TimeoutError):
                await wait_until(summarized, within=seconds, every=0.1, what="all summarized")
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=stop_within)

"""What the jobs tests share."""

from __future__ import annotations

import asyncio

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
        try:
            for _ in range(round(seconds / 0.1)):
                await asyncio.sleep(0.1)
                counts = await article_store.article_counts(store)
                if counts["total"] and not counts["unsummarized"]:
                    break
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=stop_within)

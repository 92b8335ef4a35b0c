"""One active sender per token: the advisory lock, a standby, and a takeover."""

from __future__ import annotations

import asyncio

from jobs.leader import run_as_leader
from news.storage.db import Store, open_store


async def test_one_leader_at_a_time_and_the_standby_takes_over(pg_url: str) -> None:
    stores: list[Store] = [await open_store(pg_url), await open_store(pg_url)]
    running: list[str] = []
    stops = [asyncio.Event(), asyncio.Event()]

    def worker(name: str):
        async def work(inner: asyncio.Event) -> None:
            running.append(name)
            await inner.wait()
            running.remove(name)

        return work

    tasks = [
        asyncio.create_task(
            run_as_leader(stores[i], "sender:test", worker(f"p{i}"), stops[i], check_every=0.2)
        )
        for i in (0, 1)
    ]
    try:
        for _ in range(50):
            await asyncio.sleep(0.1)
            if running:
                break
        await asyncio.sleep(0.6)  # a standby that polled meanwhile must not have started
        assert len(running) == 1
        first = running[0]
        index = int(first[1])
        stops[index].set()
        await tasks[index]
        for _ in range(50):
            await asyncio.sleep(0.1)
            if running:
                break
        assert running == [f"p{1 - index}"]
    finally:
        for stop in stops:
            stop.set()
        await asyncio.gather(*tasks)
        for store in stores:
            await store.close()
    assert running == []


async def test_sqlite_runs_the_work_without_a_lock(store: Store) -> None:
    stop = asyncio.Event()
    ran = []

    async def work(inner: asyncio.Event) -> None:
        ran.append(True)

    await run_as_leader(store, "sender:x", work, stop)
    assert ran == [True]

"""One active sender per token: the advisory lock, a standby, and a takeover."""

from __future__ import annotations

import asyncio
import logging

import pytest

from harness.wait import wait_until
from jobs.leader import run_as_leader
from news.storage.db import Store, open_store


async def test_one_leader_at_a_time_and_the_standby_takes_over(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="jobs.leader")
    stores: list[Store] = [await open_store(pg_url), await open_store(pg_url)]
    running: list[str] = []
    stops = [asyncio.Event(), asyncio.Event()]

    def worker(name: str):
        async def work(inner: asyncio.Event) -> None:
            running.append(name)
            await inner.wait()
            running.remove(name)

        return work

    async def started() -> bool:
        return bool(running)

    def standby_polls() -> int:
        return caplog.text.count("standby: lock held elsewhere")

    tasks = [
        asyncio.create_task(
            run_as_leader(stores[i], "sender:test", worker(f"p{i}"), stops[i], check_every=0.2)
        )
        for i in (0, 1)
    ]
    try:
        await wait_until(started, within=5, every=0.05, what="a leader")
        polled = standby_polls()

        async def polled_again() -> bool:
            return standby_polls() > polled

        # A standby that polled meanwhile must not have started.
        await wait_until(polled_again, within=5, every=0.05, what="a standby poll")
        assert len(running) == 1
        first = running[0]
        index = int(first[1])
        stops[index].set()
        await tasks[index]
        await wait_until(started, within=5, every=0.05, what="the standby taking over")
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

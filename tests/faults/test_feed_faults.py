"""Feeds answering 500s, timing out and sending garbage for a while: back off, then recover."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from harness.farm import FeedServerProcess
from harness.procs import role_env
from harness.wait import wait_until
from news.storage.db import Store
from tests.faults.conftest import Spawn
from tests.faults.helpers import add_feeds, feed_rows, served_stories, stored_stories

MAX_BACKOFF = 3
FAULTS = {"error": "0-3", "timeout": "4-7", "garbage": "8-11"}
STAGE = {"error": "fetch:", "timeout": "fetch:", "garbage": "parse:"}


async def test_failing_feeds_back_off_then_recover_with_every_story_once(
    pg_store: Store,
    pg_url: str,
    spawn: Spawn,
    feed_server: Callable[..., FeedServerProcess],
) -> None:
    server = feed_server(feeds=12, hosts=4, items=4, hang=5)
    for mode, feeds in FAULTS.items():
        server.mode(mode, feeds)
    ids = await add_feeds(pg_store, server.urls)
    env = role_env(
        pg_url,
        poll_tick=1,
        min_check_interval=1,
        max_backoff=MAX_BACKOFF,
        read_timeout=1,
        connect_timeout=1,
        lease_seconds=10,
    )
    worker = spawn("worker", ["worker"], env)

    await wait_until(lambda: _errors_at_least(pg_store, 3), within=90, what="3 errors each")
    for row in await feed_rows(pg_store):
        mode = _mode_of(row["url"], server)
        errors = int(str(row["error_count"]))
        assert str(row["last_error"]).startswith(STAGE[mode]), row
        assert row["last_success_at"] is None
        # Backed off: the next check waits min_interval * 2^(errors - 1), capped.
        delay = row["next_check_at"] - row["last_checked_at"]  # type: ignore[operator]
        assert delay == timedelta(seconds=min(2 ** (errors - 1), MAX_BACKOFF)), row
    assert not await stored_stories(pg_store)

    server.mode("ok")
    server.bump(count=2)  # the feeds moved on while they were down
    await wait_until(lambda: _recovered(pg_store), within=90, what="every feed recovered")

    assert worker.alive()
    stored = await stored_stories(pg_store)
    assert set(stored) == served_stories(server, ids)
    assert max(stored.values()) == 1


def _mode_of(url: object, server: FeedServerProcess) -> str:
    index = server.urls.index(str(url))
    for mode, feeds in FAULTS.items():
        low, high = (int(n) for n in feeds.split("-"))
        if low <= index <= high:
            return mode
    raise AssertionError(url)


async def _errors_at_least(store: Store, count: int) -> bool:
    return all(int(str(row["error_count"])) >= count for row in await feed_rows(store))


async def _recovered(store: Store) -> bool:
    rows = await feed_rows(store)
    return all(row["error_count"] == 0 and row["last_success_at"] is not None for row in rows)

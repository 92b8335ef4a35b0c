"""A worker SIGKILLed while it holds leases: another worker polls those feeds once they expire."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

from harness.farm import FeedServerProcess
from harness.procs import role_env
from harness.wait import wait_until
from news.storage.db import Store
from tests.faults.conftest import Spawn
from tests.faults.helpers import add_feeds, feed_rows, leased_to, served_stories, stored_stories

FEEDS = 12


async def test_feeds_of_a_killed_worker_are_polled_by_another_once_leases_expire(
    pg_store: Store,
    pg_url: str,
    spawn: Spawn,
    feed_server: Callable[..., FeedServerProcess],
) -> None:
    server = feed_server(feeds=FEEDS, hosts=4, items=3, hang=120)
    server.mode("slow")  # worker A hangs on every feed, holding its leases
    ids = await add_feeds(pg_store, server.urls)
    env = role_env(pg_url, lease_seconds=10, poll_tick=1, read_timeout=300)

    worker_a = spawn("worker-a", ["worker"], env)
    await wait_until(
        lambda: _holds_all(pg_store, worker_a.pid), within=60, what="worker A leases every feed"
    )
    summarizers = children(worker_a.pid)
    assert summarizers  # NEWSBOT_SUMMARIZE_PROCESSES=1 by default
    worker_a.kill()
    killed_at, _ = server.log()
    server.mode("ok")

    worker_b = spawn("worker-b", ["worker"], env)
    await wait_until(lambda: _all_polled(pg_store), within=90, what="every feed polled")

    assert worker_b.alive()
    stored = await stored_stories(pg_store)
    assert set(stored) == served_stories(server, ids)
    assert max(stored.values()) == 1
    rows = await feed_rows(pg_store)
    assert all(row["lease_owner"] is None and row["error_count"] == 0 for row in rows)
    # After the kill, each feed was fetched exactly once (by B).
    _, after_kill = server.log(killed_at)
    assert Counter(feed for feed, _, _ in after_kill) == Counter(range(FEEDS))
    # The killed worker's summarizer processes ended with it.
    assert not [pid for pid in summarizers if running(pid)]


def running(pid: int) -> bool:
    """Return whether process `pid` exists and has not exited (a zombie has)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def children(pid: int) -> list[int]:
    """Return the ids of the child processes of `pid` (Linux)."""
    listing = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in listing.split()]


async def _holds_all(store: Store, pid: int) -> bool:
    return await leased_to(store, pid) == FEEDS


async def _all_polled(store: Store) -> bool:
    return all(row["last_success_at"] is not None for row in await feed_rows(store))

"""PostgreSQL restarted under a running worker and sender: both reconnect, nothing is lost.

The restart is done on a private PostgreSQL cluster made for this test (initdb in a temporary
folder, its own port), not on the shared server on 5432: restarting that one would cut every
other test's connections and, on a developer's machine, every other program's too.
"""

from __future__ import annotations

import asyncio
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from harness.botapi import FakeBotAPI
from harness.farm import FeedServerProcess
from harness.procs import role_env
from harness.wait import wait_until
from jobs.deliver import max_in_flight
from news.settings import Settings
from news.storage.db import Store, open_store
from tests.faults.conftest import Spawn
from tests.faults.helpers import (
    add_feeds,
    all_sent,
    queue_messages,
    received,
    served_stories,
    stored_stories,
)

RATE = 10


class Cluster:
    """A throwaway PostgreSQL cluster: pg_ctl start, restart and stop, run as `postgres`."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        assert found, "PostgreSQL's server binaries (pg_ctl, initdb) are not installed"
        self.bin = Path(found[-1]).parent
        self.data = Path(tempfile.mkdtemp(prefix="newsbot-pg-"))
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.data, user.pw_uid, user.pw_gid)
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start")

    @property
    def log(self) -> Path:
        return self.data / "server.log"

    def restart(self) -> None:
        """Restart the server (fast: every session is cut) and wait until it answers."""
        # -l again: without it the new server would write to (and hold open) our pipe.
        self.run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-m", "fast", "-w", "restart"
        )
        subprocess.run(
            ["pg_isready", "-h", "127.0.0.1", "-p", str(self.port), "-t", "60"],
            check=True,
            capture_output=True,
        )

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.data, ignore_errors=True)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    """A private PostgreSQL cluster, stopped and removed at the end whatever happened."""
    made = Cluster()
    try:
        made.init()
        yield made
    finally:
        made.remove()


@pytest.fixture
async def cluster_store(cluster: Cluster) -> AsyncIterator[Store]:
    store = await open_store(cluster.url)
    yield store
    await store.close()


async def test_worker_and_sender_carry_on_after_a_postgresql_restart(
    cluster: Cluster,
    cluster_store: Store,
    spawn: Spawn,
    bot_api: FakeBotAPI,
    feed_server: Callable[..., FeedServerProcess],
) -> None:
    store = cluster_store
    server = feed_server(feeds=8, hosts=2, items=2)
    ids = await add_feeds(store, server.urls)
    texts = await queue_messages(store, range(9001, 9121))
    env = role_env(
        cluster.url,
        poll_tick=1,
        min_check_interval=1,
        lease_seconds=10,
        outbox_lease_seconds=10,  # NEWSBOT_OUTBOX_LEASE_SECONDS
        telegram_token=bot_api.token,
        telegram_base_url=bot_api.base_url,
        send_rate=RATE,
    )
    worker = spawn("worker", ["worker"], env)
    sender = spawn("sender", ["sender"], env)
    await wait_until(lambda: _stored_all(store, server, ids), within=60, what="first poll")
    await bot_api.wait_for(lambda: len(received(bot_api)) >= 20, timeout=60)

    await asyncio.to_thread(cluster.restart)
    server.bump(count=2)

    await wait_until(lambda: _stored_all(store, server, ids), within=90, what="new stories")
    await wait_until(lambda: all_sent(store), within=150, what="every row sent")
    assert worker.alive(), worker.tail()
    assert sender.alive(), sender.tail()
    stored = await stored_stories(store)
    assert set(stored) == served_stories(server, ids)
    assert max(stored.values()) == 1
    got = received(bot_api)
    assert set(got) == texts
    # A send Telegram took while the database was down could not be marked: it goes again.
    twice = sum(count - 1 for count in got.values())
    assert twice <= max_in_flight(Settings(_env_file=None, send_rate=RATE))


async def _stored_all(store: Store, server: FeedServerProcess, ids: dict[int, int]) -> bool:
    return set(await stored_stories(store)) == served_stories(server, ids)

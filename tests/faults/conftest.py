"""Fixtures of the fault tests: real newsbot processes, a feed server process, the fake Bot API.

Every process a test starts is SIGKILLed at the end if still running, and its log printed
(pytest shows it when the test fails).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.farm import FeedServerProcess
from harness.procs import Proc, start_role

Spawn = Callable[[str, list[str], dict[str, str]], Proc]


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawn]:
    """Start `newsbot ARGS` as NAME with an environment; everything is killed at the end."""
    started: list[Proc] = []

    def start(name: str, args: list[str], env: dict[str, str]) -> Proc:
        proc = start_role(name, args, env, tmp_path / "logs")
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.kill()
        print(f"--- {proc.name} (pid {proc.pid}, exit {proc.popen.returncode}) ---")
        print(proc.tail(60))


@pytest.fixture
def feed_server() -> Iterator[Callable[..., FeedServerProcess]]:
    """Start the feed server process with options (feeds=, hosts=, hang=, ...)."""
    servers: list[FeedServerProcess] = []

    def start(**options: float) -> FeedServerProcess:
        server = FeedServerProcess(**options).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()

"""Real newsbot processes for benchmarks and fault tests: start a role, kill it, read its RSS.

    env = role_env(url, poll_tick=1, lease_seconds=10)
    worker = start_role("worker-a", ["worker"], env, log_dir)
    ...
    worker.kill()            # SIGKILL: no cleanup, as a crash
    sender.stop()            # SIGTERM: a clean stop

Each role runs as `python -m bot ROLE` from the repository root, configured only through
NEWSBOT_* variables (none leak in from the caller's environment), its log in a file.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

from news.settings import async_database_url

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = async_database_url(
    os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
)
T = TypeVar("T")


def newsbot_command(*args: str) -> list[str]:
    """Return the command line that runs `newsbot ARGS` with this interpreter."""
    return [sys.executable, "-m", "bot", *args]


def role_env(database_url: str, **settings: object) -> dict[str, str]:
    """Return the environment of a role: ours without NEWSBOT_*, then the given settings.

    Private networks are allowed (every server here is on 127.0.0.1), and PTB's durations
    are timedeltas (no deprecation warning on each 429).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env |= {
        "NEWSBOT_DATABASE_URL": database_url,
        "NEWSBOT_ALLOW_PRIVATE_NETWORKS": "true",
        "PTB_TIMEDELTA": "true",
        "PYTHONUNBUFFERED": "1",
    }
    for name, value in settings.items():
        env[f"NEWSBOT_{name.upper()}"] = str(value)
    return env


@dataclass
class Proc:
    """A child process with its log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        """Return the process id."""
        return self.popen.pid

    def alive(self) -> bool:
        """Return whether the process still runs."""
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL the process (a crash: nothing is cleaned up) and reap it."""
        if self.alive():
            self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=30)

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM the process and return its exit status (SIGKILL after `timeout` s)."""
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                return self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
        return self.popen.wait(timeout=30)

    def rss_kib(self) -> int | None:
        """Return the resident set size in KiB (VmRSS), or None once the process is gone."""
        return rss_kib(self.pid)

    def tail(self, lines: int = 40) -> str:
        """Return the last lines of the log."""
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def rss_kib(pid: int) -> int | None:
    """Return a process's VmRSS in KiB from /proc, or None when it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return None


def start_role(
    name: str, args: list[str], env: dict[str, str], log_dir: Path, *, module: str = "bot"
) -> Proc:
    """Start `newsbot ARGS` with `env`; its stdout and stderr go to LOG_DIR/NAME.log.

    MODULE is the module run with `python -m` (a wrapper such as bench.tracemem takes the
    newsbot arguments after its own).
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{name}.log"
    with log.open("ab") as out:
        popen = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Proc(name, popen, log)


def start_bot_api(log_dir: Path, *, rate: float = 30.0) -> tuple[Proc, str]:
    """Start the fake Bot API (`python -m tests.botapi`) in its own process.

    Return it and its base URL (for NEWSBOT_TELEGRAM_BASE_URL).
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / "botapi.log"
    with log.open("ab") as err:
        popen = subprocess.Popen(
            [sys.executable, "-m", "tests.botapi", "--rate", str(rate)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=err,
        )
    assert popen.stdout is not None
    base_url = popen.stdout.readline().decode().strip()
    return Proc("botapi", popen, log), base_url


async def _admin(sql: str, admin_url: str = ADMIN_URL) -> None:
    url = make_url(admin_url)
    conn = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, database=url.database
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def create_database(prefix: str = "newsbot_bench", admin_url: str = ADMIN_URL) -> str:
    """Create a fresh, empty PostgreSQL database and return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    await _admin(f'CREATE DATABASE "{name}"', admin_url)
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


async def drop_database(url: str, admin_url: str = ADMIN_URL) -> None:
    """Drop a database made by create_database (closing its connections)."""
    name = make_url(url).database
    await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', admin_url)


async def wait_until(
    check: Callable[[], Awaitable[T | None]],
    *,
    within: float,
    every: float = 0.25,
    what: str = "condition",
) -> T:
    """Return check()'s first truthy value, asking every `every` s; fail after `within` s."""
    deadline = time.monotonic() + within
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not reached after {within:g} s")
        await asyncio.sleep(every)

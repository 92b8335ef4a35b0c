"""Child processes for benchmarks and tests: newsbot roles and the harness's servers.

    env = role_env(url, poll_tick=1, lease_seconds=10)
    worker = start_role("worker-a", ["worker"], env, log_dir)
    ...
    worker.kill()            # SIGKILL: no cleanup, as a crash
    sender.stop()            # SIGTERM: a clean stop

Each role runs as `python -m bot ROLE` from the repository root, configured only through
NEWSBOT_* variables (none leak in from the caller's environment), its log in a file. A server
(`launch(..., announce=True)`) prints one line on stdout once it listens: its address.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

ROOT = Path(__file__).resolve().parent.parent


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
    """A child process with its log file (None: it writes to our stderr)."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path | None
    first_line: str = ""  # what a server announced on stdout once it listened

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
        self._close_pipe()

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM the process and return its exit status (SIGKILL after `timeout` s)."""
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                return self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
        try:
            return self.popen.wait(timeout=30)
        finally:
            self._close_pipe()

    def _close_pipe(self) -> None:
        if self.popen.stdout is not None:
            self.popen.stdout.close()

    def rss_kib(self) -> int | None:
        """Return the resident set size in KiB (VmRSS), or None once the process is gone."""
        return rss_kib(self.pid)

    def text(self) -> str:
        """Return what the process logged so far."""
        if self.log is None:
            return ""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def tail(self, lines: int = 40) -> str:
        """Return the last lines of the log."""
        return "\n".join(self.text().splitlines()[-lines:])

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Kill the process if it still runs; on a failure, show the end of its log."""
        if self.alive():
            self.kill()
        if exc is not None and self.log is not None:
            sys.stderr.write(f"--- {self.log.name} ---\n{self.tail(80)}\n")


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


def launch(
    name: str,
    argv: list[str],
    log: Path | None,
    *,
    env: dict[str, str] | None = None,
    announce: bool = False,
    cwd: Path = ROOT,
) -> Proc:
    """Start `python ARGV` in CWD (the repository root), its output appended to `log`.

    With `announce`, stdout is a pipe and its first line (the server's address) is read into
    Proc.first_line before returning; otherwise stdout goes to the log too.
    """
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
    opened = log.open("ab") if log is not None else contextlib.nullcontext()
    with opened as out:
        popen = subprocess.Popen(
            [sys.executable, *argv],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if announce else out,
            stderr=subprocess.STDOUT if out is not None and not announce else out,
        )
    proc = Proc(name, popen, log)
    if announce:
        assert popen.stdout is not None
        proc.first_line = popen.stdout.readline().decode().strip()
    return proc


def start_role(
    name: str,
    args: list[str],
    env: dict[str, str],
    log_dir: Path,
    *,
    module: str = "bot",
    cwd: Path = ROOT,
) -> Proc:
    """Start `newsbot ARGS` with `env`; its stdout and stderr go to LOG_DIR/NAME.log.

    MODULE is the module run with `python -m` (a wrapper such as bench.tracemem takes the
    newsbot arguments after its own). CWD is where it runs: a folder without a .env file
    makes the child read only what `env` says.
    """
    return launch(name, ["-m", module, *args], log_dir / f"{name}.log", env=env, cwd=cwd)


def start_bot_api(log_dir: Path, *, rate: float = 30.0) -> tuple[Proc, str]:
    """Start the fake Bot API (`python -m harness.botapi`) in its own process.

    Return it and its base URL (for NEWSBOT_TELEGRAM_BASE_URL).
    """
    argv = ["-m", "harness.botapi", "--rate", str(rate)]
    proc = launch("botapi", argv, log_dir / "botapi.log", announce=True)
    return proc, proc.first_line

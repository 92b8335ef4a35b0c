"""FeedServerProcess: the feed server of tests/faults/feedserver.py in its own process.

with FeedServerProcess(feeds=12, hosts=4, latency=0.05) as server:
    server.urls                  # one URL per feed
    server.mode("error", "0-3")  # feeds 0..3 answer 500 from now on
    server.bump(count=2)         # every feed gets two new stories
    server.log()                 # every request so far: (feed, unix time, status)
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class FeedServerProcess:
    """The feed server in its own process: start(), the feed URLs, control calls, stop()."""

    def __init__(self, **options: float) -> None:
        self.options = options
        self.process: subprocess.Popen[str] | None = None
        self.control_url = ""
        self.urls: list[str] = []

    def start(self) -> FeedServerProcess:
        """Start the server and read its URLs; return self."""
        args = [f"--{k.replace('_', '-')}={v}" for k, v in self.options.items()]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.faults.feedserver", *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        first = json.loads(self.process.stdout.readline())
        self.control_url, self.urls = first["control"], first["feeds"]
        return self

    def stop(self) -> None:
        """Stop the server process."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> FeedServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def call(self, action: str, **query: object) -> dict[str, object]:
        """Run one control action and return its JSON answer."""
        qs = "&".join(f"{k}={v}" for k, v in query.items() if v is not None)
        url = f"{self.control_url}/_/{action}?{qs}"
        with urllib.request.urlopen(url, timeout=30) as response:
            answer: dict[str, object] = json.loads(response.read())
        return answer

    def log(self, since: int = 0) -> tuple[int, list[tuple[int, float, int]]]:
        """Return (next index, requests since `since` as (feed, unix time, status))."""
        answer = self.call("log", since=since)
        entries = answer["entries"]
        assert isinstance(entries, list)
        return int(str(answer["next"])), [(int(f), float(t), int(s)) for f, t, s in entries]

    def mode(self, mode: str, feeds: str | None = None) -> None:
        """Switch feeds (all, or "A-B") to a mode: ok, error, timeout, garbage, slow."""
        self.call("mode", mode=mode, feeds=feeds)

    def bump(self, feeds: str | None = None, count: int = 1) -> None:
        """Add `count` new stories to feeds (all, or "A-B")."""
        self.call("bump", feeds=feeds, count=count)

    def expected(self, feeds: str | None = None) -> dict[int, list[str]]:
        """Return the GUIDs every feed has served so far, by feed index."""
        return {int(k): v for k, v in self.call("expected", feeds=feeds).items()}  # type: ignore[misc]

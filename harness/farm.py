"""Many small feeds behind one asyncio server process, with latency, faults and a request log.

    python -m harness.farm --feeds 5000 --hosts 50 --latency 0.075

prints one JSON line ({"control": URL, "feeds": [URL, ...]}) and serves until killed. Feed i
lives on 127.0.0.(1 + i % hosts): the fetcher allows two requests at once per host, as it
should for real sites, so many hosts stand for many sites. Each feed is RSS 2.0 with `items`
stories of about `words` words (real English words, so language detection and summaries work);
`bump` adds stories, keeping the newest `window`. ETag and If-None-Match give 304s.

Faults, per feed or for all: `error` (HTTP 500), `timeout` (no answer for `hang` seconds),
`garbage` (200 with bytes that are no feed: HTML, binary, truncated XML, in turn), `slow`
(`hang` seconds, then the feed). Control (GET, JSON answers) on the control URL:

    /_/log?since=N             requests from index N: [feed, unix time, status] each
    /_/mode?mode=M&feeds=A-B   set the mode of feeds A..B (all when no feeds)
    /_/bump?feeds=A-B&count=K  add K stories to feeds A..B (all when no feeds)
    /_/expected?feeds=A-B      the stories served so far by feed: {feed: [guid, ...]}

Tests and benchmarks start it with FeedServerProcess (at the end of this module):

    with FeedServerProcess(feeds=12, hosts=4, latency=0.05) as server:
        server.urls                  # one URL per feed
        server.mode("error", "0-3")  # feeds 0..3 answer 500 from now on
        server.bump(count=2)         # every feed gets two new stories
        server.log()                 # every request so far: (feed, unix time, status)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import random
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from urllib.parse import parse_qsl, urlsplit

from harness.http import Answer, host_of, http_date, not_modified, serve_hosts
from harness.procs import Proc, launch

MODES = ("ok", "error", "timeout", "garbage", "slow")
RSS = "application/rss+xml"
_TEXT = (
    "the city council said on monday that new rail line would open next year after long "
    "delays and rising costs while officials from the transport ministry warned that "
    "budget pressure could still slow work on bridges stations and signals across the "
    "region where commuters have waited for decades for faster trains to the capital "
    "analysts expect ticket prices to rise as energy bills climb and wages lag behind "
    "inflation in most sectors of the economy according to figures released by the "
    "national statistics office this week researchers at the university found that "
    "coastal towns face higher flood risk as storms grow stronger and sea levels rise"
)
WORDS = tuple(_TEXT.split())
GARBAGE = (
    b"<!DOCTYPE html><html><body><h1>Maintenance</h1><p>Back soon.</p></body></html>",
    bytes(range(256)) * 8,
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Cut off<item><title>half',
)


@dataclass(slots=True)
class Feed:
    """One feed: how many stories it has had, and how it answers now."""

    index: int
    total: int
    mode: str = "ok"
    born: list[float] = field(default_factory=list)  # unix time each story appeared


@dataclass(slots=True)
class Site:
    """Every feed, the request log and the serving options."""

    feeds: list[Feed]
    window: int
    words: int
    latency: float
    jitter: float
    hang: float
    log: list[tuple[int, float, int]] = field(default_factory=list)
    garbage_turn: int = 0

    def story(self, feed: int, item: int) -> tuple[str, str]:
        """Return the title and text of a story; the same every time it is asked for."""
        pick = random.Random(feed * 1_000_003 + item)
        title = " ".join(pick.choice(WORDS) for _ in range(6)).capitalize()
        sentences: list[str] = []
        while sum(len(s.split()) for s in sentences) < self.words:
            words = [pick.choice(WORDS) for _ in range(pick.randint(9, 16))]
            sentences.append(" ".join(words).capitalize() + ".")
        return f"{title} (feed {feed} story {item})", " ".join(sentences)

    def rss(self, feed: Feed, base: str) -> bytes:
        """Return the feed's current RSS document."""
        first = max(0, feed.total - self.window)
        items = []
        for item in range(feed.total - 1, first - 1, -1):
            title, text = self.story(feed.index, item)
            when = datetime.fromtimestamp(feed.born[item], UTC)
            items.append(
                f"<item><title>{escape(title)}</title>"
                f"<link>{base}/story/{feed.index}/{item}</link>"
                f'<guid isPermaLink="false">{guid(feed.index, item)}</guid>'
                f"<pubDate>{http_date(when)}</pubDate>"
                f"<description>{escape(text)}</description></item>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
            f"<title>Feed {feed.index}</title><link>{base}/site/{feed.index}</link>"
            f"<description>Test feed {feed.index}</description>{''.join(items)}"
            "</channel></rss>"
        ).encode()

    def bump(self, feeds: range, count: int) -> None:
        now = time.time()
        for index in feeds:
            feed = self.feeds[index]
            feed.total += count
            feed.born += [now] * count


def guid(feed: int, item: int) -> str:
    """Return the GUID of story `item` of feed `feed`."""
    return f"feed-{feed}-story-{item}"


def feed_range(value: str | None, count: int) -> range:
    """Return the feeds named by "A-B", "A" or nothing (all)."""
    if not value:
        return range(count)
    low, _, high = value.partition("-")
    return range(int(low), int(high or low) + 1)


class Handler:
    """Answers the feed and control requests of every host."""

    def __init__(self, site: Site) -> None:
        self.site = site

    async def answer(self, target: str, headers: dict[str, str]) -> Answer | None:
        url = urlsplit(target)
        query = dict(parse_qsl(url.query))
        if url.path.startswith("/_/"):
            body = json.dumps(self.control(url.path.removeprefix("/_/"), query)).encode()
            return Answer(200, "application/json", body)
        parts = url.path.strip("/").split("/")
        if len(parts) != 2 or parts[0] != "feed" or not parts[1].isdigit():
            return Answer(404, "text/plain", b"not found")
        site = self.site
        feed = site.feeds[int(parts[1])]
        delay = site.latency + random.uniform(-site.jitter, site.jitter)
        if feed.mode in ("timeout", "slow"):
            delay = site.hang
        # Decided (and logged) on arrival: a request counts even if its client dies waiting.
        answer = self.feed_answer(feed, headers)
        await asyncio.sleep(max(0.0, delay))
        return answer

    def feed_answer(self, feed: Feed, headers: dict[str, str]) -> Answer | None:
        site = self.site
        stamp = time.time()
        if feed.mode == "timeout":
            site.log.append((feed.index, stamp, 0))
            return None
        if feed.mode == "error":
            site.log.append((feed.index, stamp, 500))
            return Answer(500, "text/plain", b"internal error")
        if feed.mode == "garbage":
            site.log.append((feed.index, stamp, 200))
            site.garbage_turn += 1
            return Answer(200, RSS, GARBAGE[site.garbage_turn % len(GARBAGE)])
        tag = '"' + hashlib.sha1(f"{feed.index}:{feed.total}".encode()).hexdigest()[:16] + '"'
        if not_modified(headers, tag, None):
            site.log.append((feed.index, stamp, 304))
            return Answer(304, RSS, b"", [f"ETag: {tag}"])
        site.log.append((feed.index, stamp, 200))
        host = headers.get("host", "127.0.0.1")
        return Answer(200, RSS, site.rss(feed, f"http://{host}"), [f"ETag: {tag}"])

    def control(self, action: str, query: dict[str, str]) -> object:
        site = self.site
        feeds = feed_range(query.get("feeds"), len(site.feeds))
        if action == "log":
            since = int(query.get("since", "0"))
            return {"next": len(site.log), "entries": site.log[since:]}
        if action == "mode":
            if query["mode"] not in MODES:
                return {"error": f"unknown mode {query['mode']}"}
            for index in feeds:
                site.feeds[index].mode = query["mode"]
            return {"ok": True}
        if action == "bump":
            site.bump(feeds, int(query.get("count", "1")))
            return {"ok": True}
        if action == "expected":
            return {str(i): [guid(i, j) for j in range(site.feeds[i].total)] for i in feeds}
        return {"error": f"unknown action {action}"}


async def serve(args: argparse.Namespace) -> None:
    """Start one listener per host, print the feed URLs, serve until killed."""
    start = time.time()
    feeds = [
        Feed(i, args.items, born=[start - 60 * (args.items - j) for j in range(args.items)])
        for i in range(args.feeds)
    ]
    site = Site(feeds, args.window, args.words, args.latency, args.jitter, args.hang)
    hosts = await serve_hosts(args.hosts, Handler(site).answer)
    urls = [
        f"http://{host}:{hosts[host]}/feed/{i}"
        for i in range(args.feeds)
        for host in [host_of(i, args.hosts)]
    ]
    control = f"http://127.0.0.1:{hosts['127.0.0.1']}"
    print(json.dumps({"control": control, "feeds": urls}), flush=True)
    await asyncio.Event().wait()


class FeedServerProcess:
    """The feed server in its own process: start(), the feed URLs, control calls, stop()."""

    def __init__(self, **options: float) -> None:
        self.options = options
        self.process: Proc | None = None
        self.control_url = ""
        self.urls: list[str] = []

    def start(self) -> FeedServerProcess:
        """Start the server and read its URLs; return self."""
        args = [f"--{k.replace('_', '-')}={v}" for k, v in self.options.items()]
        self.process = launch("farm", ["-m", "harness.farm", *args], None, announce=True)
        first = json.loads(self.process.first_line)
        self.control_url, self.urls = first["control"], first["feeds"]
        return self

    def stop(self) -> None:
        """Stop the server process."""
        if self.process is not None:
            self.process.kill()

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


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m harness.farm", description=__doc__)
    parser.add_argument("--feeds", type=int, default=10)
    parser.add_argument("--items", type=int, default=3, help="stories per feed at start")
    parser.add_argument("--window", type=int, default=20, help="newest stories a feed shows")
    parser.add_argument("--words", type=int, default=90, help="words per story")
    parser.add_argument("--hosts", type=int, default=4, help="loopback addresses to serve on")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument("--jitter", type=float, default=0.0, help="latency +- this much")
    parser.add_argument("--hang", type=float, default=30.0, help="seconds for timeout/slow")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()

"""Soak: the worker, the sender and the bot as separate processes for N minutes, memory sampled.

    make soak                                   # 5 minutes
    .venv/bin/python -m bench.soak --minutes 30 --feeds 1000

A fresh PostgreSQL database, a feed server process (harness/farm.py) whose feeds keep
changing (every few seconds a tenth of them get a new story), --subscribers private chats whose
digests come due in turn (a sixth of them every 30 s, so the worker plans and the sender sends
all the time), and users writing to the bot through the fake Bot API (/search, /digest, /help,
/feeds). Each process's resident memory (VmRSS from /proc) is sampled every --every seconds.

Reported per role: the RSS curve, and whether it stays flat: the median of the last quarter of
the samples against the median of the first quarter (flat: at most 10% or 5 MB more), both
taken after --warmup seconds (imports, first polls and caches filling up).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select, update

from bench.report import publish
from bench.scale import seed_feeds, seed_subscribers
from harness.botapi import DEFAULT_TOKEN, RemoteBotAPI
from harness.farm import FeedServerProcess
from harness.pg import create_database, drop_database
from harness.procs import Proc, role_env, start_bot_api, start_role
from news.storage.db import Store, open_store
from news.storage.tables import articles, outbox, subscriptions

RESULTS = Path(__file__).resolve().parent / "results"
ROLES = ("worker", "sender", "bot")
COHORTS = 6
MESSAGES = ("/search rail prices", "/digest", "/help", "/feeds", "/search flood risk")
BARS = "▁▂▃▄▅▆▇█"


async def cohort_due(store: Store, cohort: int) -> None:
    """Make the digests of one cohort of subscribers due now."""
    stmt = (
        update(subscriptions)
        .where(subscriptions.c.id % COHORTS == cohort)
        .values(next_digest_at=datetime.now(UTC))
    )
    async with store.begin() as conn:
        await conn.execute(stmt)


async def counts(store: Store) -> dict[str, int]:
    """Return how many articles and sent messages the database holds."""
    async with store.connect() as conn:
        stored = (await conn.execute(select(func.count()).select_from(articles))).scalar_one()
        sent = (
            await conn.execute(select(func.count()).where(outbox.c.status == "sent"))
        ).scalar_one()
    return {"articles": int(stored), "messages sent": int(sent)}


def flatness(samples: list[int]) -> tuple[float, float, bool]:
    """Return (first-quarter median MB, last-quarter median MB, flat?)."""
    quarter = max(1, len(samples) // 4)
    first = statistics.median(samples[:quarter]) / 1024
    last = statistics.median(samples[-quarter:]) / 1024
    return first, last, last <= max(first * 1.10, first + 5)


def sparkline(samples: list[int], width: int = 60) -> str:
    """Return the curve as one line of block characters (min to max of the samples)."""
    step = max(1, len(samples) // width)
    points = samples[::step]
    low, high = min(points), max(points)
    span = max(high - low, 1)
    return "".join(BARS[(p - low) * (len(BARS) - 1) // span] for p in points)


async def drive(
    args: argparse.Namespace,
    store: Store,
    server: FeedServerProcess,
    remote: RemoteBotAPI,
    procs: dict[str, Proc],
) -> dict[str, list[int]]:
    """Change feeds, make digests due and talk to the bot until time is up; sample RSS."""
    rss: dict[str, list[int]] = {role: [] for role in procs}
    pick = random.Random(7)
    started = time.monotonic()
    ticks = 0
    while time.monotonic() - started < args.minutes * 60:
        ticks += 1
        low = pick.randrange(0, max(1, args.feeds - args.feeds // 10))
        server.bump(feeds=f"{low}-{low + args.feeds // 10}")
        if ticks % max(1, round(30 / args.every)) == 0:
            await cohort_due(store, ticks % COHORTS)
        for _ in range(3):
            chat = 10_000_000 + pick.randrange(args.subscribers)
            remote.control("send", chat_id=chat, text=pick.choice(MESSAGES))
        for role, proc in procs.items():
            value = proc.rss_kib()
            if value is None:
                raise RuntimeError(f"{role} died:\n{proc.tail()}")
            rss[role].append(value)
        elapsed = time.monotonic() - started
        line = " ".join(f"{r}={v[-1] / 1024:.0f}MB" for r, v in rss.items())
        print(f"{elapsed:6.0f}s {line}", flush=True)
        await asyncio.sleep(max(0.0, ticks * args.every - (time.monotonic() - started)))
    return rss


def trend(samples: list[int], every: float) -> float:
    """Return the least-squares slope of the samples in MB per minute."""
    if len(samples) < 2:
        return 0.0
    minutes = [i * every / 60 for i in range(len(samples))]
    return statistics.linear_regression(minutes, [s / 1024 for s in samples]).slope


def markdown(args: argparse.Namespace, rss: dict[str, list[int]], totals: dict[str, int]) -> str:
    """Return the results page."""
    skip = math.ceil(args.warmup / args.every)
    judged = {role: samples[skip:] or samples for role, samples in rss.items()}
    lines = [
        "# Soak",
        "",
        f"`python -m bench.soak {' '.join(args.argv)}`".replace(" `", "`"),
        f"on {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores, PostgreSQL on 127.0.0.1, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {args.minutes:g} minutes, {args.feeds} "
        f"feeds changing, {args.subscribers} subscribers, RSS sampled every {args.every:g} s, "
        f"the first {args.warmup:g} s (start-up) not judged.",
        "",
        "| role | first quarter (median) | last quarter (median) | trend | peak | flat |",
        "|---|---|---|---|---|---|",
    ]
    for role, samples in judged.items():
        first, last, flat = flatness(samples)
        lines.append(
            f"| {role} | {first:.1f} MB | {last:.1f} MB | "
            f"{trend(samples, args.every):+.2f} MB/min | {max(samples) / 1024:.1f} MB | "
            f"{'yes' if flat else 'NO'} |"
        )
    lines += ["", "RSS after start-up, each curve from its own minimum to its maximum:", ""]
    lines.append("```")
    for role, samples in judged.items():
        low, high = min(samples) / 1024, max(samples) / 1024
        lines.append(f"{role:>6} {sparkline(samples)}  {low:.1f}..{high:.1f} MB")
    lines += ["```", "", "Samples (MB), one a minute from the start:", ""]
    per_minute = max(1, round(60 / args.every))
    for role, samples in rss.items():
        values = ", ".join(f"{s / 1024:.1f}" for s in samples[::per_minute])
        lines.append(f"- {role}: {values}")
    lines += ["", "Work done: " + ", ".join(f"{v} {k}" for k, v in totals.items()) + ".", ""]
    return "\n".join(lines)


def start_soak_role(args: argparse.Namespace, role: str, env: dict[str, str], logs: Path) -> Proc:
    """Start `newsbot ROLE`; with --trace under bench.tracemem, snapshots in the logs folder."""
    if not args.trace:
        return start_role(role, [role], env, logs)
    snapshots = str(logs / f"{role}-snapshots")
    trace = [snapshots, str(args.every * 6), role]
    return start_role(role, trace, env, logs, module="bench.tracemem")


async def run(args: argparse.Namespace) -> str:
    """Start everything, drive it, stop it; return the results page."""
    logs = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    print(f"logs in {logs}", flush=True)
    url = await create_database("newsbot_soak")
    store = await open_store(url)
    server = FeedServerProcess(feeds=args.feeds, hosts=10, items=5, window=40, latency=0.02)
    server.start()
    fake, base_url = start_bot_api(logs, rate=30.0)
    procs: dict[str, Proc] = {}
    try:
        await seed_feeds(store, server.urls)
        await seed_subscribers(store, args.subscribers, datetime.now(UTC))
        env = role_env(
            url,
            telegram_token=DEFAULT_TOKEN,
            telegram_base_url=base_url,
            poll_tick=5,
            min_check_interval=10,
            lease_seconds=30,
            teaser_words=0,
            log_level="WARNING",
        )
        procs = {role: start_soak_role(args, role, env, logs) for role in ROLES}
        remote = RemoteBotAPI(base_url.removesuffix("/bot"))
        rss = await drive(args, store, server, remote, procs)
        totals = await counts(store)
        summary = remote.control("summary")
        assert isinstance(summary, dict)
        totals["Bot API calls"] = int(summary["calls"])
    finally:
        for proc in procs.values():
            proc.stop()
        fake.stop()
        server.stop()
        await store.close()
        await drop_database(url)
    return markdown(args, rss, totals)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--subscribers", type=int, default=600)
    parser.add_argument("--every", type=float, default=5.0, help="seconds between samples")
    parser.add_argument("--warmup", type=float, default=30.0, help="seconds not judged")
    parser.add_argument(
        "--trace",
        action="store_true",
        help="run each role under tracemalloc; snapshots go to the logs folder",
    )
    parser.add_argument("--output", type=Path, default=RESULTS / "soak.md")
    args = parser.parse_args()
    args.argv = sys.argv[1:]
    publish(asyncio.run(run(args)), args.output)


if __name__ == "__main__":
    main()

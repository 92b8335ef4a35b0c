"""Scale benchmark: worker processes polling thousands of slow feeds, one sender at Telegram's cap.

    make bench-scale                                    # the full run (about 10 minutes)
    .venv/bin/python -m bench.scale --feeds 500 --subscribers 3000 --deliver-seconds 30

Polling. A feed server process (harness/farm.py) serves --feeds RSS feeds on
--hosts loopback addresses, each request answered after --latency s (+- --jitter). For each
count in --workers, a fresh PostgreSQL database gets every feed, that many `newsbot worker`
processes start at once, and the run ends when every feed has been polled. Reported: feeds/s
(first request to last feed recorded), the speed-up over one worker (goal: 2 workers >= 1.7x),
how many feeds were requested more than once in the cycle (goal 0, from the server's request
log), errors, articles stored, and the workers' CPU time.

Delivery. --subscribers private chats subscribe in the last run's database (its articles make
the digests), their digests are due now, and plan_due_digests writes them into the outbox
(timed). One `newsbot sender` process drains it through the fake Bot API (`python -m
harness.botapi`, global cap --rate msg/s, Telegram's per-chat limits) for --deliver-seconds
(0: until the outbox is empty), then stops (SIGTERM). Reported: the rate at the server as a
fraction of the cap (goal >= 0.95), messages lost (rows marked sent that Telegram never got,
or failed; goal 0) and sent twice (goal 0), and rows still waiting when the time box ended.
50,000 messages at 30/s take 28 minutes: the default drains for 100 s (3,000 messages).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from bench.report import publish
from harness.botapi import DEFAULT_TOKEN, RemoteBotAPI
from harness.farm import FeedServerProcess
from harness.pg import create_database, drop_database
from harness.procs import role_env, start_bot_api, start_role
from harness.wait import wait_until
from jobs.plan import plan_due_digests
from news.settings import Settings
from news.storage.db import Store, open_store
from news.storage.tables import articles, feeds, outbox, subscriptions

RESULTS = Path(__file__).resolve().parent / "results"
CLOCK_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """Return a process's user + system CPU time so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICK


async def seed_feeds(store: Store, urls: list[str]) -> None:
    """Insert every feed, due now, in one transaction."""
    now = datetime.now(UTC)
    rows = [
        {"url": u, "enabled": True, "next_check_at": now, "error_count": 0, "created_at": now}
        for u in urls
    ]
    async with store.begin() as conn:
        for start in range(0, len(rows), 1000):
            await conn.execute(insert(feeds), rows[start : start + 1000])


async def poll_progress(store: Store) -> tuple[int, int, datetime | None]:
    """Return (feeds checked, feeds failing, when the last one was checked)."""
    stmt = select(
        func.count(feeds.c.last_checked_at),
        func.count().filter(feeds.c.error_count > 0),
        func.max(feeds.c.last_checked_at),
    )
    async with store.connect() as conn:
        checked, failing, last = (await conn.execute(stmt)).one()
    return int(checked), int(failing), last


async def poll_run(
    args: argparse.Namespace, server: FeedServerProcess, workers: int, logs: Path
) -> tuple[dict[str, object], str]:
    """Poll every feed once with `workers` processes; return the numbers and the database URL."""
    url = await create_database("newsbot_scale")
    store = await open_store(url)
    await seed_feeds(store, server.urls)
    since, _ = server.log()
    env = role_env(
        url,
        poll_tick=3600,  # one cycle: the first tick at start polls every due feed
        poll_concurrency=args.concurrency,
        teaser_words=0,
        lease_seconds=600,
        log_level="WARNING",
    )
    procs = [start_role(f"worker-{workers}-{i}", ["worker"], env, logs) for i in range(workers)]
    try:

        async def done() -> bool:
            return (await poll_progress(store))[0] == len(server.urls)

        await wait_until(done, within=args.feeds * 2 + 120, every=0.5, what="every feed polled")
        cpu = sum(cpu_seconds(p.pid) for p in procs)
    finally:
        for proc in procs:
            proc.stop()
    _, failing, last = await poll_progress(store)
    async with store.connect() as conn:
        stored = int((await conn.execute(select(func.count()).select_from(articles))).scalar_one())
    await store.close()
    _, requests = server.log(since)
    per_feed = Counter(feed for feed, _, _ in requests)
    first = min(at for _, at, _ in requests)
    assert last is not None
    seconds = last.timestamp() - first
    return {
        "workers": workers,
        "feeds": len(server.urls),
        "seconds": seconds,
        "feeds/s": len(server.urls) / seconds,
        "polled twice": sum(1 for n in per_feed.values() if n > 1),
        "not polled": len(server.urls) - len(per_feed),
        "errors": failing,
        "articles": stored,
        "worker CPU s": cpu,
    }, url


async def seed_subscribers(store: Store, count: int, now: datetime) -> None:
    """Subscribe `count` private chats whose digest is due now (5 stories each, one message)."""
    rows = [
        {
            "chat_id": 10_000_000 + i,
            "chat_type": "private",
            "active": True,
            "digest_times": "08:00",
            "timezone": "UTC",
            "frequency": "daily",
            "max_articles": 5,
            "link_previews": False,
            "last_digest_at": now - timedelta(hours=24),
            "next_digest_at": now - timedelta(minutes=1),
            "created_at": now,
            "updated_at": now,
        }
        for i in range(count)
    ]
    async with store.begin() as conn:
        for start in range(0, len(rows), 2000):
            await conn.execute(insert(subscriptions), rows[start : start + 2000])


async def outbox_rows(store: Store) -> list[tuple[int, str, str]]:
    """Return (chat, sha1 of the text, status) for every outbox row."""
    stmt = select(outbox.c.chat_id, outbox.c.text, outbox.c.status)
    async with store.connect() as conn:
        rows = (await conn.execute(stmt)).all()
    return [(r.chat_id, hashlib.sha1(r.text.encode()).hexdigest(), r.status) for r in rows]


async def deliver(
    store: Store, url: str, args: argparse.Namespace, logs: Path
) -> tuple[float, dict[str, object], list[dict[str, object]]]:
    """Drain the outbox with one sender process through the fake Bot API.

    Return the sender's CPU seconds, the fake's summary and its log of accepted messages.
    """
    fake, base_url = start_bot_api(logs, rate=args.rate)
    env = role_env(
        url,
        telegram_token=DEFAULT_TOKEN,
        telegram_base_url=base_url,
        send_rate=args.rate,
        log_level="WARNING",
    )
    try:
        sender = start_role("sender", ["sender"], env, logs)
        try:
            if args.deliver_seconds:
                await asyncio.sleep(args.deliver_seconds)
            else:

                async def empty() -> bool:
                    return all(status != "pending" for _, _, status in await outbox_rows(store))

                await wait_until(empty, within=86400, every=2.0, what="outbox drained")
            cpu = cpu_seconds(sender.pid)
        finally:
            sender.stop()
        remote = RemoteBotAPI(base_url.removesuffix("/bot"))
        summary, log = remote.control("summary"), remote.control("bot_log")
    finally:
        fake.stop()
    assert isinstance(summary, dict)
    assert isinstance(log, list)
    return cpu, summary, log


async def delivery_run(url: str, args: argparse.Namespace, logs: Path) -> dict[str, object]:
    """Plan one digest per subscriber, drain them with one sender, compare both ends."""
    store = await open_store(url)
    now = datetime.now(UTC)
    await seed_subscribers(store, args.subscribers, now)
    settings = Settings(_env_file=None, database_url=url)
    started = time.perf_counter()
    report = await plan_due_digests(store, settings, now=now)
    plan_seconds = time.perf_counter() - started
    sender_cpu, summary, log = await deliver(store, url, args, logs)
    rows = await outbox_rows(store)
    await store.close()
    got = Counter((int(str(m["chat_id"])), str(m["sha1"])) for m in log)
    sent = Counter((chat, sha) for chat, sha, status in rows if status == "sent")
    accepted = int(str(summary["sent"]))
    span = float(str(summary["last_sent_at"])) - float(str(summary["first_sent_at"]))
    rate = (accepted - 1) / span if span > 0 else 0.0
    statuses = Counter(status for _, _, status in rows)
    by_status = summary["by_status"]
    assert isinstance(by_status, dict)
    return {
        "subscribers": args.subscribers,
        "digests planned": report.planned,
        "outbox messages": len(rows),
        "planning": f"{plan_seconds:.1f} s ({plan_seconds / args.subscribers * 1000:.2f} ms each)",
        "cap": f"{args.rate:g} msg/s",
        "messages sent": accepted,
        "rate at the server": f"{rate:.2f} msg/s",
        "fraction of cap": f"{rate / args.rate:.3f}",
        "429 answers": by_status.get("429", 0),
        "lost": sum((sent - got).values()) + statuses.get("failed", 0),
        "sent twice": sum((got - Counter(got.keys())).values()),
        "received but not marked sent": sum((Counter(got.keys()) - sent).values()),
        "still pending (time box)": statuses.get("pending", 0),
        "sender CPU per message": f"{sender_cpu / max(accepted, 1) * 1000:.2f} ms",
    }


def markdown(args: argparse.Namespace, runs: list[dict[str, object]], delivery: object) -> str:
    """Return the results page."""
    base = float(str(runs[0]["feeds/s"]))
    lines = [
        "# Scale benchmark",
        "",
        f"`python -m bench.scale {' '.join(args.argv)}`".replace(" `", "`"),
        f"on {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores, PostgreSQL on 127.0.0.1, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        f"## Polling: {args.feeds} feeds on {args.hosts} hosts, {args.latency * 1000:.0f} ms "
        f"(+-{args.jitter * 1000:.0f}) per request, {args.items} stories each, "
        f"{args.concurrency} feeds at once per worker",
        "",
        "| workers | seconds | feeds/s | speed-up | polled twice | not polled | errors "
        "| articles | worker CPU s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        lines.append(
            f"| {run['workers']} | {float(str(run['seconds'])):.1f} "
            f"| {float(str(run['feeds/s'])):.1f} "
            f"| {float(str(run['feeds/s'])) / base:.2f}x | {run['polled twice']} "
            f"| {run['not polled']} | {run['errors']} | {run['articles']} "
            f"| {float(str(run['worker CPU s'])):.1f} |"
        )
    lines += ["", "Goal: 2 workers at least 1.7x one worker; no feed polled twice.", ""]
    if isinstance(delivery, dict):
        lines += ["## Delivery: one sender, fake Bot API with a global cap", ""]
        lines += ["| Measure | Value | Goal |", "|---|---|---|"]
        goals = {"fraction of cap": ">= 0.95", "lost": "0", "sent twice": "0"}
        lines += [f"| {k} | {v} | {goals.get(k, '')} |" for k, v in delivery.items()]
        lines += [
            "",
            "Rate measured at the server, first accepted message to last. Lost: rows marked",
            "sent that the server never accepted, plus failed rows. Rows still pending when the",
            "time box ends are not lost: they stay in the outbox for the next sender.",
            "",
        ]
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> str:
    """Run the polling runs and the delivery run; return the results page."""
    logs = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    print(f"logs in {logs}", flush=True)
    server = FeedServerProcess(
        feeds=args.feeds,
        hosts=args.hosts,
        items=args.items,
        words=args.words,
        latency=args.latency,
        jitter=args.jitter,
    ).start()
    runs: list[dict[str, object]] = []
    urls: list[str] = []
    try:
        for workers in args.workers:
            numbers, url = await poll_run(args, server, workers, logs)
            urls.append(url)
            runs.append(numbers)
            print(numbers, flush=True)
    finally:
        server.stop()
    delivery: dict[str, object] | None = None
    try:
        if args.subscribers:
            delivery = await delivery_run(urls[-1], args, logs)
            print(delivery, flush=True)
    finally:
        for url in urls:
            await drop_database(url)
    return markdown(args, runs, delivery)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--feeds", type=int, default=5000)
    parser.add_argument("--hosts", type=int, default=50, help="loopback addresses (sites)")
    parser.add_argument("--latency", type=float, default=0.075, help="seconds per request")
    parser.add_argument("--jitter", type=float, default=0.025)
    parser.add_argument("--items", type=int, default=3, help="stories per feed")
    parser.add_argument("--words", type=int, default=40, help="words per story")
    parser.add_argument("--concurrency", type=int, default=4, help="feeds at once per worker")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--subscribers", type=int, default=50_000, help="0: no delivery run")
    parser.add_argument("--rate", type=float, default=30.0, help="the fake's cap, msg/s")
    parser.add_argument(
        "--deliver-seconds", type=float, default=100.0, help="time box (0: drain everything)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS / "scale.md")
    args = parser.parse_args()
    args.argv = sys.argv[1:]
    publish(asyncio.run(run(args)), args.output)


if __name__ == "__main__":
    main()

"""Delivery benchmark: N subscribers, one digest each, through the fake Bot API at its rate cap.

    .venv/bin/python -m bench.delivery                      # 10,000 subscribers, cap 100 msg/s
    .venv/bin/python -m bench.delivery --rate 30            # Telegram's real cap (11 minutes)
    .venv/bin/python -m bench.delivery --subscribers 2000 --database-url postgresql://...

Each subscriber gets its own digest (10 of 300 sample articles, rotated, so no two render
alike), rendered by news.render and planned into the outbox with outbox.enqueue. The fake Bot
API runs in its own process (`python -m harness.botapi`) with a global cap of --rate messages/s
and Telegram's per-chat limits; the sender (jobs.deliver, same --rate) drains the outbox.
Reported: messages/s at the server as a fraction of the cap (goal >= 0.95), planning and
rendering cost per subscriber, peak RSS, 429s, and messages lost or sent twice (goal 0 and 0).

The default cap is 100 msg/s, not Telegram's 30, to keep the run near three minutes; the sender
spends about 3 ms of CPU per message (PTB and httpx about 1.5, the database 0.5), so one core
paces correctly up to roughly 250 msg/s and the real 30 msg/s costs a tenth of a core.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import select

from bench.report import publish
from harness.botapi import DEFAULT_TOKEN, RemoteBotAPI
from jobs.deliver import DeliveryStats, drain_once, sender_bot
from news.digest import build_digest
from news.models import Article
from news.render import render_html
from news.settings import Settings
from news.storage import outbox
from news.storage.db import Store, open_store
from news.storage.tables import outbox as outbox_table

RESULTS = Path(__file__).resolve().parent / "results"
POOL = 300
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo")
TOPICS = (
    "Central bank holds rates as inflation cools",
    "New battery chemistry promises cheaper storage",
    "City council approves bike lanes & bus corridors",
    "Researchers map <deep-sea> vents with autonomous drones",
    'Open-source "runtime" reaches 2.0 after five years',
    "Heatwave strains Europe's power grid 🌡️",
    "Studie: Wärmepumpen sparen mehr als erwartet",
    "Le télescope spatial capte une galaxie lointaine",
)


def sample_articles(now: datetime) -> list[Article]:
    """Return POOL realistic articles: markup-hostile titles, three-sentence summaries."""
    articles = []
    for i in range(POOL):
        topic = TOPICS[i % len(TOPICS)]
        summary = (
            f"{topic} according to officials on day {i}. "
            "Analysts said the change would take months to show in prices & wages. "
            f"Critics (#{i}) argued the numbers <still> leave questions open."
        )
        articles.append(
            Article(
                id=i + 1,
                feed_id=i % 40 + 1,
                title=f"{topic} ({i})",
                url=f"https://news{i % 40}.example.com/2026/03/{i}/story?ref=rss&id={i}",
                published_at=now - timedelta(minutes=5 * i + 1),
                fetched_at=now - timedelta(minutes=5 * i),
                text=summary * 4,
                summary=summary,
                language="en",
                feed_title=f"Example News {i % 40} & Co",
            )
        )
    return articles


def chat_id_of(index: int) -> int:
    """Return subscriber `index`'s chat: one in twenty is a supergroup, the rest private."""
    return -(1_000_000_000_000 + index) if index % 20 == 0 else 10_000_000 + index


async def plan(store: Store, subscribers: int, per_digest: int) -> tuple[float, int]:
    """Render and enqueue one digest per subscriber; return (seconds, messages queued)."""
    now = datetime.now(UTC)
    pool = sample_articles(now)
    since = now - timedelta(days=2)
    queued = 0
    started = time.perf_counter()
    for first in range(0, subscribers, 500):
        async with store.begin() as conn:
            for index in range(first, min(first + 500, subscribers)):
                start = (index * 7) % (POOL - per_digest)
                chosen = pool[start : start + per_digest + 5]
                digest = build_digest(chosen, since=since, until=now, limit=per_digest)
                parts = render_html(digest, tz=ZONES[index % len(ZONES)])
                queued += await outbox.enqueue(
                    conn,
                    chat_id=chat_id_of(index),
                    slot=f"bench:{now:%Y-%m-%dT%H:%M}",
                    parts=parts,
                    link_previews=False,
                    now=now,
                )
    return time.perf_counter() - started, queued


def start_fake(rate: float) -> tuple[subprocess.Popen[str], str]:
    """Start the fake Bot API in its own process; return it and its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "harness.botapi", "--rate", str(rate)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


async def deliver(
    store: Store, base_url: str, settings: Settings
) -> tuple[DeliveryStats, float, float]:
    """Drain the outbox through the fake; return the stats, wall seconds and CPU seconds."""
    started, cpu = time.perf_counter(), time.process_time()
    settings = settings.model_copy(
        update={"telegram_token": SecretStr(DEFAULT_TOKEN), "telegram_base_url": base_url}
    )
    async with sender_bot(settings) as bot:
        stats = await drain_once(store, bot, settings, max_wait=30)
    return stats, time.perf_counter() - started, time.process_time() - cpu


async def compare(store: Store, remote: RemoteBotAPI) -> tuple[int, int, int]:
    """Return (rows, lost, sent twice): the outbox against what the server received."""
    async with store.connect() as conn:
        rows = (await conn.execute(select(outbox_table.c.chat_id, outbox_table.c.text))).all()
    wanted = Counter((r.chat_id, hashlib.sha1(r.text.encode()).hexdigest()) for r in rows)
    log = remote.control("bot_log")
    assert isinstance(log, list)
    got = Counter((m["chat_id"], m["sha1"]) for m in log)
    lost = sum((wanted - got).values())
    twice = sum((got - wanted).values())
    return len(rows), lost, twice


def markdown(args: argparse.Namespace, numbers: dict[str, object]) -> str:
    """Return the results page."""
    lines = [
        "# Delivery benchmark",
        "",
        f"`python -m bench.delivery --subscribers {args.subscribers} --rate {args.rate:g}` "
        f"on {platform.python_implementation()} {platform.python_version()}, "
        f"{numbers['database']}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        "| Measure | Value | Goal |",
        "|---|---|---|",
    ]
    goals = {"fraction of cap": ">= 0.95", "lost": "0", "sent twice": "0"}
    lines += [f"| {k} | {v} | {goals.get(k, '')} |" for k, v in numbers.items()]
    lines += [
        "",
        "The fake Bot API runs in its own process with a global cap of --rate messages/s",
        "(bursts up to one second's worth), 1 msg/s per private chat and 20/min per group;",
        "the rate is measured at the server, first accepted message to last.",
        "",
    ]
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> dict[str, object]:
    """Plan, deliver and compare; return the numbers."""
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='bench-delivery-')}/b.db"
    settings = Settings(_env_file=None, database_url=url, send_rate=args.rate)
    store = await open_store(settings.database_url)
    process, base_url = start_fake(args.rate)
    try:
        plan_s, queued = await plan(store, args.subscribers, args.articles)
        stats, send_s, send_cpu = await deliver(store, base_url, settings)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the check
        remote = RemoteBotAPI(base_url.removesuffix("/bot"))
        summary = remote.control("summary")
        rows, lost, twice = await compare(store, remote)
    finally:
        process.terminate()
        process.wait(timeout=10)
        await store.close()
    assert isinstance(summary, dict)
    span = float(summary["last_sent_at"]) - float(summary["first_sent_at"])
    rate = (int(summary["sent"]) - 1) / span if span > 0 else 0.0
    return {
        "database": "SQLite" if settings.is_sqlite else "PostgreSQL",
        "subscribers": args.subscribers,
        "messages queued": queued,
        "messages sent": stats.sent,
        "planning + rendering per subscriber": f"{plan_s / args.subscribers * 1000:.2f} ms",
        "delivery time": f"{send_s:.1f} s",
        "sender CPU per message": f"{send_cpu / max(stats.sent, 1) * 1000:.2f} ms",
        "rate at the server": f"{rate:.1f} msg/s",
        "fraction of cap": f"{rate / args.rate:.3f}",
        "429 answers": summary["by_status"].get("429", 0),
        "peak RSS (planning and sending)": f"{peak:.0f} MB",
        "outbox rows": rows,
        "lost": lost,
        "sent twice": twice,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.delivery", description=__doc__)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=100.0, help="cap, messages/s")
    parser.add_argument("--articles", type=int, default=10, help="stories per digest")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--output", type=Path, default=RESULTS / "delivery.md")
    args = parser.parse_args()
    numbers = asyncio.run(run(args))
    publish(markdown(args, numbers), args.output)


if __name__ == "__main__":
    main()

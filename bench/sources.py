"""Sources benchmark: every chat with its own feeds, planned as fast as everyone sharing a set.

    make bench-sources                                   # 10,000 chats x 20 of 2,000 feeds
    .venv/bin/python -m bench.sources --chats 2000 --feeds 500

Two fresh PostgreSQL databases get the same --feeds feeds (and --unused more that no chat
reads) with --articles summarized articles each, fetched in the last day, and --chats private
subscribers due now:
- shared: every chat reads the same --per-chat feeds (what today's "all feeds" was: one window
  for everyone);
- own: each chat reads --per-chat feeds drawn Zipf-distributed (exponent --zipf) from all of
  them: a few popular feeds, a long tail, nearly every chat a set of its own.
plan_due_digests plans every chat's digest in each (timed side by side, in one run); reported:
milliseconds per subscriber and the ratio own / shared (goal <= 1.5).

Polling. Then every feed in the own database is due and --workers claimers take batches the way
`newsbot worker` does (claim_due_feeds, --batch at a time, recording each as polled) until none
is due: how many feeds were claimed, how many twice (goal 0), and whether the feeds no chat
reads were left alone. No HTTP: the claim is what decides who polls a feed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, update

from bench.report import RESULTS, publish
from harness.pg import create_database, drop_database
from jobs.plan import plan_due_digests
from news.feedurl import url_key
from news.settings import Settings
from news.storage.db import Store, open_store
from news.storage.feeds import claim_due_feeds, record_not_modified
from news.storage.tables import articles, chat_sources, feeds, subscriptions

CHUNK = 2000
# Titles are seven words of a 2,197-word vocabulary made of syllables: a few alike by chance.
_SYLLABLES = ("ka", "lo", "mi", "ter", "san", "vo", "ri", "den", "ul", "pa", "sto", "ne", "bri")
TITLE_WORDS = tuple(a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in _SYLLABLES)


def zipf_sets(
    chats: int, feeds_n: int, per_chat: int, exponent: float, seed: int
) -> list[list[int]]:
    """Return each chat's feed numbers (0-based), drawn Zipf-distributed without repeats."""
    rng = random.Random(seed)
    weights = [1 / (rank + 1) ** exponent for rank in range(feeds_n)]
    population = range(feeds_n)
    sets = []
    for _ in range(chats):
        chosen: set[int] = set()
        while len(chosen) < per_chat:
            chosen.update(rng.choices(population, weights, k=per_chat - len(chosen)))
        sets.append(sorted(chosen))
    return sets


async def _insert(store: Store, table: object, rows: list[dict[str, object]]) -> None:
    async with store.begin() as conn:
        for start in range(0, len(rows), CHUNK):
            await conn.execute(insert(table), rows[start : start + CHUNK])  # type: ignore[arg-type]


async def seed(
    store: Store, args: argparse.Namespace, sets: list[list[int]], now: datetime
) -> list[int]:
    """Store the feeds, their articles, the chats and their sources; return the feed ids."""
    feed_rows = []
    for n in range(args.feeds + args.unused):
        url = f"https://feeds{n % 50}.example/{n}.xml"
        feed_rows.append({"url": url, "url_key": url_key(url), "title": f"Feed {n}",
                          "enabled": True, "is_default": False, "next_check_at": now,
                          "error_count": 0, "created_at": now - timedelta(days=30),
                          "last_success_at": now - timedelta(hours=1)})  # fmt: skip
    await _insert(store, feeds, feed_rows)
    ids = list(range(1, args.feeds + args.unused + 1))
    rng = random.Random(args.seed)
    article_rows = []
    for feed_id in ids:
        for k in range(args.articles):
            at = now - timedelta(minutes=10 + (feed_id * 7 + k * 131) % 1300)
            title = " ".join(rng.choices(TITLE_WORDS, k=7)).capitalize()
            article_rows.append({
                "feed_id": feed_id, "entry_hash": f"{feed_id}-{k}", "guid": f"{feed_id}-{k}",
                "url": f"https://feeds.example/{feed_id}/{k}", "title": title,
                "published_at": at, "fetched_at": at, "sort_at": at,
                "text": f"{title}. What happened there, in a few words.",
                "text_source": "feed", "content_hash": f"c{feed_id}-{k}",
                "summary": f"What happened in story {k} of feed {feed_id}.", "language": "en",
                "summarized_at": at, "page_pending": False,
            })  # fmt: skip
    await _insert(store, articles, article_rows)
    sub_rows = [
        {"chat_id": 10_000 + c, "chat_type": "private", "active": True, "digest_times": "08:00",
         "timezone": "UTC", "frequency": "daily", "max_articles": 10, "link_previews": False,
         "last_digest_at": now - timedelta(days=1), "next_digest_at": now - timedelta(minutes=1),
         "created_at": now, "updated_at": now}
        for c in range(args.chats)
    ]  # fmt: skip
    await _insert(store, subscriptions, sub_rows)
    source_rows = [
        {"chat_id": 10_000 + c, "feed_id": ids[n], "digest_only": False, "added_at": now}
        for c, chosen in enumerate(sets)
        for n in chosen
    ]
    await _insert(store, chat_sources, source_rows)
    return ids


async def plan(
    url: str, args: argparse.Namespace, sets: list[list[int]], now: datetime
) -> dict[str, float]:
    store = await open_store(url)
    try:
        await seed(store, args, sets, now)
        async with store.begin() as conn:
            await conn.exec_driver_sql("ANALYZE")
        settings = Settings(_env_file=None, database_url=url)
        started = time.perf_counter()
        report = await plan_due_digests(store, settings, now=now)
        seconds = time.perf_counter() - started
    finally:
        await store.close()
    return {"seconds": seconds, "planned": report.planned, "queries": report.queries,
            "ms": seconds / args.chats * 1000}  # fmt: skip


async def poll_cycle(
    url: str, args: argparse.Namespace, used: set[int], now: datetime
) -> dict[str, object]:
    """Claim every due feed with --workers concurrent claimers; count who got what."""
    store = await open_store(url)
    claimed: Counter[int] = Counter()
    try:
        async with store.begin() as conn:
            await conn.execute(update(feeds).values(next_check_at=now - timedelta(seconds=1)))

        async def worker(name: str) -> None:
            while True:
                batch = await claim_due_feeds(
                    store, now=now, limit=args.batch, owner=name, lease_seconds=600
                )
                if not batch:
                    return
                for feed in batch:
                    claimed[feed.id] += 1
                    await record_not_modified(
                        store, feed.id, now=now, next_check_at=now + timedelta(hours=1)
                    )

        started = time.perf_counter()
        await asyncio.gather(*(worker(f"w{i}") for i in range(args.workers)))
        seconds = time.perf_counter() - started
    finally:
        await store.close()
    return {
        "feeds read by some chat": len(used),
        "feeds claimed": len(claimed),
        "claimed twice": sum(1 for n in claimed.values() if n > 1),
        "unused feeds claimed": len(set(claimed) - used),
        "seconds": round(seconds, 2),
    }


def markdown(
    args: argparse.Namespace,
    shared: dict[str, float],
    own: dict[str, float],
    polls: dict[str, object],
    distinct: int,
) -> str:
    ratio = own["ms"] / shared["ms"]
    lines = [
        "# Sources benchmark",
        "",
        f"`python -m bench.sources {' '.join(args.argv)}`".replace(" `", "`"),
        f"on {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores, PostgreSQL on 127.0.0.1, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        f"{args.chats:,} chats, {args.per_chat} sources each, drawn from {args.feeds:,} feeds "
        f"(Zipf exponent {args.zipf}: {distinct:,} distinct source sets); {args.unused} more "
        f"feeds no chat reads; {args.articles} articles per feed in the last day.",
        "",
        "| Measure | shared set (today) | own sources | own / shared | Goal |",
        "|---|---|---|---|---|",
        f"| planning per subscriber | {shared['ms']:.2f} ms | {own['ms']:.2f} ms "
        f"| {ratio:.2f}x | <= 1.5x |",
        f"| planning, all chats | {shared['seconds']:.1f} s | {own['seconds']:.1f} s |  |  |",
        f"| digests planned | {shared['planned']:.0f} | {own['planned']:.0f} |  |  |",
        f"| window queries | {shared['queries']:.0f} | {own['queries']:.0f} |  |  |",
        "",
        f"## One poll cycle ({args.workers} claimers, {args.batch} feeds a claim)",
        "",
        "| Measure | Value | Goal |",
        "|---|---|---|",
    ]
    goals = {"claimed twice": "0", "unused feeds claimed": "0"}
    lines += [f"| {k} | {v} | {goals.get(k, '')} |" for k, v in polls.items()]
    lines += [
        "",
        "Both plannings run in one process, one after the other, on databases seeded alike;",
        "the shared set is every chat reading the same feeds (one window for all, as before",
        "chat sources). The poll cycle is the claim the workers make, without HTTP.",
    ]
    return "\n".join(lines) + "\n"


async def main_async(args: argparse.Namespace) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    own_sets = zipf_sets(args.chats, args.feeds, args.per_chat, args.zipf, args.seed)
    shared_sets = [list(range(args.per_chat))] * args.chats
    distinct = len({tuple(s) for s in own_sets})
    urls = [await create_database("newsbot_sources"), await create_database("newsbot_sources")]
    try:
        shared = await plan(urls[0], args, shared_sets, now)
        own = await plan(urls[1], args, own_sets, now)
        used = {n + 1 for chosen in own_sets for n in chosen}
        polls = await poll_cycle(urls[1], args, used, now)
    finally:
        for url in urls:
            await drop_database(url)
    publish(markdown(args, shared, own, polls, distinct), RESULTS / "sources.md")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--feeds", type=int, default=2_000)
    parser.add_argument("--per-chat", type=int, default=20)
    parser.add_argument("--articles", type=int, default=5, help="per feed, in the last day")
    parser.add_argument("--zipf", type=float, default=1.0)
    parser.add_argument("--unused", type=int, default=200, help="more feeds, read by no chat")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else argv
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()

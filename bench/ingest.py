"""bench-ingest: the whole pipeline (poll -> fetch -> parse -> extract -> store, then summarize)
over generated feeds served from 127.0.0.x, on a fresh SQLite database.

    .venv/bin/python -m bench.ingest [--feeds 1000] [--items 20] [--teaser-share 0.25]

Reports articles/s end to end as `newsbot worker` runs the pipeline (poll and summarize side by
side, the summarizer in NEWSBOT_SUMMARIZE_PROCESSES processes), then, on a second fresh database,
the sequential breakdown (poll, then summarize in a thread): feeds/s, the share of time per
stage, peak memory, the second poll (every feed answers 304) and the summarizer alone on the
same stored texts; prints a markdown table and writes it to bench/results/ingest.md. The server
runs in its own process (see bench.feedgen), so it does not take the pipeline's GIL; its CPU
time is reported.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import platform
import re
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection as Pipe
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import ParamSpec, TypeVar

import httpx
from sqlalchemy import Connection, event, func, select

import jobs.summarize
import news.pages
import news.refresh
from bench import feedgen
from jobs.poll import PollReport, poll_due_feeds
from jobs.summarize import Summarizer, summarize_article, summarize_pending
from jobs.worker import SUMMARIZE_EVERY
from news.fetch import Fetcher
from news.models import Article
from news.settings import Settings
from news.storage import feeds as feed_store
from news.storage.articles import article_counts, article_from_row
from news.storage.db import Store, open_store
from news.storage.tables import articles

RESULTS = Path(__file__).with_name("results") / "ingest.md"
STAGES = ("fetch", "parse", "extract", "store")
GOAL_SECOND_POLL = 10.0  # seconds for 1,000 unchanged feeds
GOAL_RATIO = 0.5  # end-to-end article rate / summarizer-only rate
P = ParamSpec("P")
R = TypeVar("R")


@dataclass(slots=True)
class Numbers:
    """Everything measured in one run."""

    feeds: int = 0
    items: int = 0
    poll_seconds: float = 0.0
    poll_cpu: float = 0.0
    new_articles: int = 0
    errors: list[str] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)  # thread CPU inside parse/extract/...
    summarize_seconds: float = 0.0
    summarize_cpu: float = 0.0
    summarized: int = 0
    second_seconds: float = 0.0
    second_statuses: Counter[str] = field(default_factory=Counter)
    solo_articles: int = 0
    solo_seconds: float = 0.0
    solo_cpu: float = 0.0
    rss_before_kib: int = 0
    rss_peak_kib: int = 0
    server: dict[str, dict[str, float]] = field(default_factory=dict)
    sql: dict[str, list[float]] = field(default_factory=dict)
    load: list[float] = field(default_factory=list)
    processes: int = 0
    e2e_seconds: float = 0.0
    e2e_poll_seconds: float = 0.0
    e2e_articles: int = 0
    e2e_summarized: int = 0
    e2e_cpu: float = 0.0
    e2e_child_cpu: float = 0.0
    e2e_rss_kib: int = 0
    e2e_left_at_poll_end: int = 0


def options(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="bench-ingest: the pipeline over generated feeds")
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--teaser-share", type=float, default=0.25)
    ap.add_argument("--hosts", type=int, default=100, help="sites (127.0.0.x addresses)")
    ap.add_argument("--db", type=Path, help="SQLite file (replaced); default: a temporary one")
    ap.add_argument("--sample", type=int, default=1000, help="articles for the summarizer alone")
    ap.add_argument("--concurrency", type=int, help="poll_concurrency (default: the setting's)")
    ap.add_argument(
        "--no-breakdown", action="store_true", help="skip the sequential per-stage breakdown"
    )
    ap.add_argument("--sql-timing", action="store_true", help="time SQL statements by kind")
    ap.add_argument("--out", type=Path, default=RESULTS)
    return ap.parse_args(argv)


@dataclass(frozen=True, slots=True)
class Server:
    """The feed server process, its control pipe, the feed URLs and its statistics URL."""

    process: BaseProcess
    control: Pipe
    feeds: list[str]
    stats_url: str

    def stop(self) -> None:
        self.control.send("stop")
        self.process.join(10)
        if self.process.is_alive():
            self.process.terminate()


def start_server(args: argparse.Namespace) -> Server:
    """Start the feed server process and wait until its sites are generated."""
    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    process = ctx.Process(
        target=feedgen.serve,
        args=(theirs, args.feeds, args.items, args.teaser_share, args.hosts),
        daemon=True,
    )
    process.start()
    if not ours.poll(600):
        raise SystemExit("feed server did not start")
    ready = ours.recv()
    return Server(process, ours, ready["feeds"], ready["stats_url"])


def server_stats(url: str) -> dict[str, float]:
    """Return the server's counters and CPU seconds so far."""
    stats = httpx.get(url, trust_env=False, timeout=30).json()
    return {
        "cpu": stats["cpu_seconds"],
        "bytes": stats["bytes_out"],
        **{f"http_{k}": v for k, v in stats["statuses"].items()},
        **{k: stats[k] for k in ("generate_seconds", "feed_bytes", "page_bytes", "gzip_bytes")},
    }


def bench_settings(db: Path, concurrency: int | None) -> Settings:
    """Return production defaults, except the database, loopback feeds and a short interval."""
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{db}",
        allow_private_networks=True,
        min_check_interval=60,
    )
    if concurrency:
        settings = settings.model_copy(update={"poll_concurrency": concurrency})
    return settings


def _cpu_timed(name: str, fn: Callable[P, R], into: dict[str, float]) -> Callable[P, R]:
    def timed(*args: P.args, **kwargs: P.kwargs) -> R:
        start = time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            into[name] = into.get(name, 0.0) + time.thread_time() - start

    return timed


@contextlib.contextmanager
def stage_cpu(into: dict[str, float]) -> Iterator[None]:
    """Count the CPU time of the thread-run stages (parse, extract, summarize) in `into`.

    These run in worker threads through asyncio.to_thread, so thread CPU time is exact for
    them; everything else (HTTP, SQL, scheduling) runs in the event loop and SQLite threads.
    """
    targets = [
        (news.refresh, "parse_feed", "parse"),
        (news.pages, "extract", "extract"),
        (jobs.summarize, "summarize_article", "summarize"),
    ]
    originals = [getattr(module, attr) for module, attr, _ in targets]
    for (module, attr, name), original in zip(targets, originals, strict=True):
        setattr(module, attr, _cpu_timed(name, original, into))
    try:
        yield
    finally:
        for (module, attr, _), original in zip(targets, originals, strict=True):
            setattr(module, attr, original)


async def add_feeds(store: Store, urls: list[str]) -> None:
    now = datetime.now(UTC)
    for url in urls:
        await feed_store.add_feed(store, url, now=now)


def count_stages(report: PollReport, numbers: Numbers) -> None:
    for result in report.results:
        for stage, seconds in result.seconds.items():
            numbers.stage_seconds[stage] = numbers.stage_seconds.get(stage, 0.0) + seconds
    numbers.new_articles = report.new_articles


def server_delta(url: str, before: dict[str, float]) -> dict[str, float]:
    after = server_stats(url)
    return {k: after[k] - before.get(k, 0) for k in after}


async def first_poll(
    store: Store, fetcher: Fetcher, settings: Settings, n: Numbers, url: str
) -> None:
    """Poll every feed once: the first half of the end-to-end run."""
    before = server_stats(url)
    cpu, started = time.process_time(), time.perf_counter()
    report = await poll_due_feeds(store, fetcher, settings)
    n.poll_seconds = time.perf_counter() - started
    n.poll_cpu = time.process_time() - cpu
    n.server["poll"] = server_delta(url, before)
    count_stages(report, n)


async def summarize_all(store: Store, settings: Settings, n: Numbers) -> None:
    cpu, started = time.process_time(), time.perf_counter()
    n.summarized = await summarize_pending(store, settings)
    n.summarize_seconds = time.perf_counter() - started
    n.summarize_cpu = time.process_time() - cpu


async def second_poll(
    store: Store, fetcher: Fetcher, settings: Settings, n: Numbers, url: str
) -> None:
    """Poll every feed again: nothing changed, so every feed should answer 304."""
    before = server_stats(url)
    started = time.perf_counter()
    report = await poll_due_feeds(store, fetcher, settings, all_feeds=True)
    n.second_seconds = time.perf_counter() - started
    n.server["second"] = server_delta(url, before)
    n.second_statuses = Counter(r.status for r in report.results)


async def side_by_side(store: Store, fetcher: Fetcher, settings: Settings, n: Numbers) -> None:
    """Poll and summarize at once, as `newsbot worker` does: its poll job (poll, then summarize
    what arrived) and its summarize job (every SUMMARIZE_EVERY seconds) side by side."""
    polled = asyncio.Event()
    cpu, children = time.process_time(), resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    # Started inside the timing, as run_worker starts it: its warm-up overlaps the first fetches.
    summarizer = Summarizer(settings.summarize_processes)

    async def poll_job() -> tuple[PollReport, int]:
        report = await poll_due_feeds(store, fetcher, settings)
        n.e2e_poll_seconds = time.perf_counter() - started
        polled.set()
        n.e2e_left_at_poll_end = (await article_counts(store))["unsummarized"]
        return report, await summarize_pending(store, settings, summarizer=summarizer)

    async def summarize_job() -> int:
        made = 0
        while True:
            made += await summarize_pending(store, settings, summarizer=summarizer)
            if polled.is_set():
                return made
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(polled.wait(), SUMMARIZE_EVERY)

    try:
        (report, after_poll), during_poll = await asyncio.gather(poll_job(), summarize_job())
        n.e2e_seconds = time.perf_counter() - started
        n.e2e_cpu = time.process_time() - cpu
    finally:
        await summarizer.close()
    # The pool's processes have ended and been waited for: their CPU time is in RUSAGE_CHILDREN.
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    n.e2e_child_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    n.e2e_articles = report.new_articles
    n.e2e_summarized = after_poll + during_poll
    n.e2e_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    n.errors += [r.error for r in report.results if r.error]


async def stored_sample(store: Store, sample: int) -> list[Article]:
    """Return about `sample` stored articles, spread evenly over the table."""
    async with store.connect() as conn:
        total = (await conn.execute(select(func.count()).select_from(articles))).scalar_one()
        step = max(1, total // max(1, sample))
        stmt = select(articles).where(articles.c.id % step == 0).order_by(articles.c.id)
        rows = (await conn.execute(stmt.limit(sample))).all()
    return [article_from_row(row) for row in rows]


def summarizer_only(chosen: list[Article], settings: Settings, numbers: Numbers) -> None:
    """Time the summarizer alone (language detection + summarize, as the job calls them)."""
    cpu, started = time.process_time(), time.perf_counter()
    for article in chosen:
        summarize_article(article, settings)
    numbers.solo_seconds += time.perf_counter() - started
    numbers.solo_cpu += time.process_time() - cpu
    numbers.solo_articles += len(chosen)


def time_sql(store: Store, numbers: Numbers) -> None:
    """Add up the time of each kind of SQL statement, as the event loop waits for it."""
    engine = store.engine.sync_engine

    @event.listens_for(engine, "before_cursor_execute")
    def before(conn: Connection, cursor: object, statement: str, *args: object) -> None:
        conn.info["bench_started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def after(conn: Connection, cursor: object, statement: str, *args: object) -> None:
        spent = time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())
        total = numbers.sql.setdefault(sql_kind(statement), [0, 0.0])
        total[0] += 1
        total[1] += spent


def sql_kind(statement: str) -> str:
    """Return a short name for a statement: verb, table and the columns it sets."""
    words = statement.split()
    verb = words[0].upper() if words else "?"
    if verb == "UPDATE":
        sets = statement.split(" SET ", 1)[-1].split(" WHERE ")[0]
        columns = sorted({part.split("=")[0].strip() for part in sets.split(",")})
        return f"UPDATE {words[1]} SET {','.join(columns)}"
    if verb == "INSERT":
        return f"INSERT {words[2]}"
    table = re.search(r"\bFROM\s+(\w+)", statement)
    return f"{verb} FROM {table.group(1) if table else '?'}"


async def measure(args: argparse.Namespace, db: Path, server: Server) -> Numbers:
    n = Numbers(feeds=len(server.feeds), items=args.items, load=[os.getloadavg()[0]])
    settings = bench_settings(db, args.concurrency)
    n.processes = settings.summarize_processes
    n.rss_before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    store = await open_store(settings.database_url)
    try:
        await add_feeds(store, server.feeds)
        async with Fetcher(settings) as fetcher:
            before = server_stats(server.stats_url)
            await side_by_side(store, fetcher, settings, n)
            n.server["e2e"] = server_delta(server.stats_url, before)
            sample = await stored_sample(store, args.sample)
            # Warm up (language model, stemmer caches) as a long-running bot would be, and
            # time half the sample now, half at the end: a busy machine weighs on both.
            summarize_article(sample[0], settings)
            summarizer_only(sample[0::2], settings, n)
            if not args.no_breakdown:
                await breakdown(args, sequential_db(db), server, n)
            await second_poll(store, fetcher, settings, n, server.stats_url)
    finally:
        await store.close()
    summarizer_only(sample[1::2], settings, n)
    n.load.append(os.getloadavg()[0])
    return n


def sequential_db(db: Path) -> Path:
    """Return the breakdown run's database file, beside the end-to-end run's."""
    return db.with_name(db.stem + "-sequential.db")


async def breakdown(args: argparse.Namespace, db: Path, server: Server, n: Numbers) -> None:
    """On a second fresh database: poll, then summarize in a thread; time each stage."""
    settings = bench_settings(db, args.concurrency)
    store = await open_store(settings.database_url)
    try:
        await add_feeds(store, server.feeds)
        if args.sql_timing:
            time_sql(store, n)
        async with Fetcher(settings) as fetcher:
            with stage_cpu(n.cpu):
                await first_poll(store, fetcher, settings, n, server.stats_url)
                await summarize_all(store, settings, n)
        n.rss_peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    finally:
        await store.close()


def rate(count: float, seconds: float) -> str:
    return f"{count / seconds:,.1f}" if seconds > 0 else "-"


def verdict(ok: bool) -> str:
    return "yes" if ok else "**no**"


def goal_rows(n: Numbers) -> list[str]:
    """Return the main table: throughput, the two goals, memory."""
    e2e_rate = n.e2e_articles / n.e2e_seconds if n.e2e_seconds else 0.0
    solo_rate = n.solo_articles / n.solo_seconds if n.solo_seconds else 0.0
    ratio = e2e_rate / solo_rate if solo_rate else 0.0
    e2e_cpu = (n.e2e_cpu + n.e2e_child_cpu) / max(1, n.e2e_articles)
    solo_cpu = n.solo_cpu / max(1, n.solo_articles)
    per_1000 = n.second_seconds * 1000 / max(1, n.feeds)
    unchanged = n.second_statuses.get("not_modified", 0)
    where = f"{n.processes} summarizer process(es)" if n.processes else "summarizer in a thread"
    return [
        "| Measure | Value | Goal | Met |",
        "|---|---:|---:|:---:|",
        f"| **End to end as the worker runs it** (poll and summarize side by side, {where}): "
        f"articles/s | {e2e_rate:,.1f} ({n.e2e_articles:,} in {n.e2e_seconds:,.1f} s; poll "
        f"done at {n.e2e_poll_seconds:,.1f} s with {n.e2e_left_at_poll_end:,} articles still to "
        "summarize) |||",
        f"| Articles stored / summarized in that run | {n.e2e_articles:,} / "
        f"{n.e2e_summarized:,} | {n.feeds * n.items:,} "
        f"| {verdict(n.e2e_articles == n.e2e_summarized == n.feeds * n.items)} |",
        f"| Summarizer alone, one thread (one core), same texts ({n.solo_articles:,} articles): "
        f"articles/s | {solo_rate:,.1f} |||",
        f"| **End-to-end / summarizer-alone rate** | {ratio:.2f} | >= {GOAL_RATIO} "
        f"| {verdict(ratio >= GOAL_RATIO)} |",
        f"| CPU in that run: worker process / summarizer process(es) | {n.e2e_cpu:,.1f} s / "
        f"{n.e2e_child_cpu:,.1f} s ({1000 * e2e_cpu:.1f} ms per article; the summarizer alone "
        f"{1000 * solo_cpu:.1f} ms) |||",
        f"| Same ratio if each process had a core of its own (from CPU time: the busier "
        f"process bounds the rate) | {capacity(n):.2f} |||",
        *sequential_rows(n, solo_rate),
        f"| Second poll (all 304): feeds/s | {rate(n.feeds, n.second_seconds)} "
        f"({n.second_seconds:,.2f} s) |||",
        f"| **Second poll, per 1,000 feeds** | {per_1000:,.2f} s | < {GOAL_SECOND_POLL:g} s "
        f"| {verdict(per_1000 < GOAL_SECOND_POLL)} |",
        f"| Second poll: feeds that answered 304 | {unchanged:,} of {n.feeds:,} | all "
        f"| {verdict(unchanged == n.feeds)} |",
        f"| Peak memory of the worker process, ru_maxrss | {n.e2e_rss_kib / 1024:,.0f} MiB "
        f"(before the poll {n.rss_before_kib / 1024:,.0f} MiB) |||",
        f"| Feeds that failed in the first poll | {len(n.errors)} | 0 | {verdict(not n.errors)} |",
    ]


def capacity(n: Numbers) -> float:
    """Return solo CPU per article / the busier process's CPU per article in the e2e run."""
    per = max(n.e2e_cpu, n.e2e_child_cpu / max(1, n.processes)) / max(1, n.e2e_articles)
    return n.solo_cpu / max(1, n.solo_articles) / per if per else 0.0


def sequential_rows(n: Numbers, solo_rate: float) -> list[str]:
    """Return the breakdown run's rows (poll, then summarize in a thread), if it ran."""
    if not n.poll_seconds:
        return []
    seq = n.poll_seconds + n.summarize_seconds
    seq_rate = n.new_articles / seq if seq else 0.0
    return [
        f"| Sequential, for information: first poll feeds/s | {rate(n.feeds, n.poll_seconds)} "
        f"({n.new_articles:,} articles in {n.poll_seconds:,.1f} s) |||",
        f"| Sequential: then summarize all in a thread: articles/s "
        f"| {rate(n.summarized, n.summarize_seconds)} ({n.summarize_seconds:,.1f} s) |||",
        f"| Sequential: poll + summarize articles/s (ratio to the summarizer alone) "
        f"| {seq_rate:,.1f} ({seq_rate / solo_rate if solo_rate else 0:.2f}) |||",
    ]


def stage_rows(n: Numbers) -> list[str]:
    """Return the time-share table: wall time by RefreshResult.seconds, and CPU time."""
    if not n.poll_seconds:
        return []
    total = sum(n.stage_seconds.get(s, 0.0) for s in STAGES) or 1.0
    e2e = n.poll_seconds + n.summarize_seconds
    cpu_total = n.poll_cpu + n.summarize_cpu
    rest = n.poll_cpu - n.cpu.get("parse", 0.0) - n.cpu.get("extract", 0.0)
    summarize = n.cpu.get("summarize", 0.0)
    cpu = {
        "poll: HTTP, SQL, event loop": rest,
        "poll: parse": n.cpu.get("parse", 0.0),
        "poll: extract": n.cpu.get("extract", 0.0),
        "summarize job: summarizer": summarize,
        "summarize job: SQL, threads": n.summarize_cpu - summarize,
    }
    rows = [
        "| Stage (sequential run) | Task-seconds | Share of its wall time | CPU seconds "
        "| Share of CPU |",
        "|---|---:|---:|---:|---:|",
    ]
    for stage in STAGES:
        spent = n.stage_seconds.get(stage, 0.0)
        rows.append(f"| {stage} | {spent:,.1f} | {spent / total * n.poll_seconds / e2e:.0%} |||")
    rows.append(f"| summarize | {n.summarize_seconds:,.1f} | {n.summarize_seconds / e2e:.0%} |||")
    for name, seconds in cpu.items():
        rows.append(f"| CPU: {name} ||| {seconds:,.1f} | {seconds / cpu_total:.0%} |")
    return rows


def notes(n: Numbers, args: argparse.Namespace) -> list[str]:
    """Return the paragraphs under the tables: how to read them, server, machine."""
    setup, poll, second = (n.server.get(k, {}) for k in ("setup", "e2e", "second"))
    concurrency = bench_settings(Path("x"), args.concurrency).poll_concurrency
    lines = [
        "What is measured. The goal row is the end-to-end run: a fresh database, the worker's "
        "poll job (poll every feed, then summarize what is left) and its summarize job (every "
        f"{SUMMARIZE_EVERY:g} s) running at once in one event loop, the summarizer in "
        f"{n.processes} spawned process(es) started inside the timed span (warm-up included); "
        "it ends when every article is stored and summarized. The summarizer-alone rate is the "
        "summarizer in one thread, on one core, over a sample of the stored texts: the "
        "comparison asks whether the pipeline around the summarizer (HTTP, parsing, "
        "extraction, SQL) dominates, and with the summarizer in its own process that work runs "
        "beside it on the other core. Both cores are shared with other work on this machine.",
        "",
        *breakdown_notes(n, concurrency),
        f"Server (own process, 2 cores shared): {poll.get('cpu', 0):,.1f} s CPU during the "
        f"end-to-end run, {second.get('cpu', 0):,.2f} s during the second poll. End-to-end run: "
        f"{poll.get('http_200', 0):,.0f} x 200, {poll.get('bytes', 0) / 2**20:,.0f} MiB gzip "
        f"on the wire; generated {setup.get('feed_bytes', 0) / 2**20:,.0f} MiB of feeds and "
        f"{setup.get('page_bytes', 0) / 2**20:,.0f} MiB of article pages in "
        f"{setup.get('generate_seconds', 0):,.0f} s.",
        "",
        f"Machine: load average {n.load[0]:.1f} at the start, {n.load[-1]:.1f} at the end "
        f"(other work shares the 2 cores); OPENBLAS_NUM_THREADS="
        f"{os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}.",
    ]
    if n.errors:
        lines += ["", "First errors:", *(f"- {e}" for e in n.errors[:5])]
    return lines


def breakdown_notes(n: Numbers, concurrency: int) -> list[str]:
    """Return how to read the sequential breakdown table, if it ran."""
    if not n.poll_seconds:
        return []
    return [
        "The stage table comes from the sequential run on a second fresh database (poll, "
        "then the summarize job in a thread, as before the summarizer processes): "
        f"Task-seconds: RefreshResult.seconds summed over feeds refreshed {concurrency} at a "
        "time, waiting included (the per-host slot, the thread pool, the GIL, the SQLite write "
        "lock); the poll's wall time is split in their proportion. `extract` includes fetching "
        "the article page, `store` the known-hashes query. CPU seconds: parse, extract and the "
        "summarizer are timed inside their worker threads (thread CPU time); the rest is the "
        f"process's CPU minus those. The poll used {n.poll_cpu:,.1f} s CPU in "
        f"{n.poll_seconds:,.1f} s ({n.poll_cpu / max(n.poll_seconds, 1e-9):.0%} of one core): "
        "one GIL, so the poll is CPU-bound.",
        "",
    ]


def sql_rows(n: Numbers) -> list[str]:
    """Return the SQL timing table (statement kinds by total time), or nothing."""
    if not n.sql:
        return []
    rows = [
        "",
        "| SQL statement (awaited time) | Count | Seconds | ms each |",
        "|---|---:|---:|---:|",
    ]
    for kind, (count, seconds) in sorted(n.sql.items(), key=lambda kv: -kv[1][1])[:10]:
        rows.append(
            f"| `{kind[:70]}` | {count:,.0f} | {seconds:,.1f} | {1000 * seconds / count:.1f} |"
        )
    return rows


def report(n: Numbers, args: argparse.Namespace, command: str) -> str:
    """Return the results as markdown."""
    head = (
        f"{n.feeds:,} feeds x {args.items} items ({args.teaser_share:.0%} teasers with an "
        f"article page), {args.hosts} sites on 127.0.0.x, SQLite; Python "
        f"{platform.python_version()}, {os.cpu_count()} cores; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC."
    )
    body = [*goal_rows(n), "", *stage_rows(n), "", *notes(n, args), *sql_rows(n)]
    return "\n".join(["# bench-ingest", "", f"`{command}`", "", head, "", *body]) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    command = " ".join(
        [".venv/bin/python -m bench.ingest", *(sys.argv[1:] if argv is None else argv)]
    )
    server = start_server(args)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = args.db or Path(tmp) / "ingest.db"
            db.unlink(missing_ok=True)
            sequential_db(db).unlink(missing_ok=True)
            setup = server_stats(server.stats_url)
            numbers = asyncio.run(measure(args, db, server))
            numbers.server["setup"] = setup
    finally:
        server.stop()
    text = report(numbers, args, command)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

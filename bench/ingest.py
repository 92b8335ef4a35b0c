"""bench-ingest: the whole pipeline (poll -> fetch -> parse -> store, the teasers' article pages
-> extract, then summarize) over generated feeds served from 127.0.0.x, on fresh SQLite files.

    .venv/bin/python -m bench.ingest [--feeds 1000] [--items 5 20] [--hosts 1 many] [--cli]

For each number of items per feed and each server layout (every feed on one host, where the
fetcher's two requests per host apply, or spread over `--sites` hosts), on a fresh database:
the pipeline as `newsbot worker` runs it (poll and summarize side by side, the summarizer in
NEWSBOT_SUMMARIZE_PROCESSES processes) and, with `--cli`, `newsbot poll` run as a subprocess the
way an operator runs it (its start-up included). Each rate is compared with the summarizer alone
on the same stored texts, timed between the runs. Then, on another fresh database, the
sequential breakdown for the first items count (poll, then summarize in a thread): feeds/s, the
share of time per stage, peak memory, and the second poll (every feed answers 304). Prints a
markdown report and writes it to bench/results/ingest.md. The server runs in its own process
(see bench.feedgen), so it does not take the pipeline's GIL; its CPU time is reported.
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
import subprocess
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
from typing import Any, ParamSpec, TypeVar

import httpx
from sqlalchemy import Connection, event, func, select

import jobs.poll
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
class Run:
    """One end-to-end run: how it was run, what it stored and summarized, how long it took."""

    items: int
    hosts: str
    mode: str  # "worker" or "cli"
    feeds: int = 0
    seconds: float = 0.0
    poll_seconds: float | None = None  # when the poll was done (the worker run only)
    articles: int = 0
    summarized: int = 0
    cpu: float = 0.0  # the process that polls
    child_cpu: float = 0.0  # its summarizer processes
    load: float = 0.0  # 1-minute load average at the start
    errors: list[str] = field(default_factory=list)
    server_cpu: float = 0.0


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
    runs: list[Run] = field(default_factory=list)
    sites: int = 0
    solo: dict[int, list[float]] = field(default_factory=dict)  # items: articles, s, CPU s
    pages_seconds: float = 0.0  # the sequential poll's article-page round


def options(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="bench-ingest: the pipeline over generated feeds")
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--items", type=int, nargs="+", default=[5, 20], help="items per feed")
    ap.add_argument("--teaser-share", type=float, default=0.25)
    ap.add_argument(
        "--hosts",
        nargs="+",
        choices=["1", "many"],
        default=["1", "many"],
        help="every feed on one host (127.0.0.1), or spread over --sites hosts",
    )
    ap.add_argument("--sites", type=int, default=100, help="hosts (127.0.0.x) for --hosts many")
    ap.add_argument("--cli", action="store_true", help="also run `newsbot poll` as a subprocess")
    ap.add_argument(
        "--db", type=Path, help="folder for the SQLite files; default: a temporary one"
    )
    ap.add_argument("--sample", type=int, default=1000, help="articles for the summarizer alone")
    ap.add_argument("--concurrency", type=int, help="poll_concurrency (default: the setting's)")
    ap.add_argument(
        "--no-breakdown", action="store_true", help="skip the sequential per-stage breakdown"
    )
    ap.add_argument("--sql-timing", action="store_true", help="time SQL statements by kind")
    ap.add_argument("--out", type=Path, default=RESULTS)
    return ap.parse_args(argv)


def host_count(args: argparse.Namespace, hosts: str) -> int:
    """Return how many loopback hosts serve the feeds for `--hosts` value `hosts`."""
    return 1 if hosts == "1" else args.sites


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


def start_server(feeds: int, items: int, teaser_share: float, hosts: int) -> Server:
    """Start the feed server process and wait until its sites are generated."""
    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    process = ctx.Process(
        target=feedgen.serve, args=(theirs, feeds, items, teaser_share, hosts), daemon=True
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


async def side_by_side(store: Store, fetcher: Fetcher, settings: Settings, run: Run) -> None:
    """Poll and summarize at once, as `newsbot worker` does: its poll job (poll, then summarize
    what arrived) and its summarize job (every SUMMARIZE_EVERY seconds) side by side."""
    polled = asyncio.Event()
    cpu, children = time.process_time(), resource.getrusage(resource.RUSAGE_CHILDREN)
    run.load = os.getloadavg()[0]
    started = time.perf_counter()
    # Started inside the timing, as run_worker starts it: its warm-up overlaps the first fetches.
    summarizer = Summarizer(settings.summarize_processes)

    async def poll_job() -> tuple[PollReport, int]:
        report = await poll_due_feeds(store, fetcher, settings, executor=summarizer.parser())
        run.poll_seconds = time.perf_counter() - started
        polled.set()
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
        run.seconds = time.perf_counter() - started
        run.cpu = time.process_time() - cpu
    finally:
        await summarizer.close()
    # The pool's processes have ended and been waited for: their CPU time is in RUSAGE_CHILDREN.
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    run.child_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    run.articles = report.new_articles
    run.summarized = after_poll + during_poll
    run.errors += [r.error for r in report.results if r.error]


async def worker_run(
    args: argparse.Namespace, db: Path, server: Server, run: Run, n: Numbers
) -> list[Article]:
    """Run the worker's pipeline on a fresh database; return a sample of the stored texts."""
    settings = bench_settings(db, args.concurrency)
    n.processes = settings.summarize_processes
    store = await open_store(settings.database_url)
    try:
        await add_feeds(store, server.feeds)
        run.feeds = len(server.feeds)
        async with Fetcher(settings) as fetcher:
            before = server_stats(server.stats_url)
            await side_by_side(store, fetcher, settings, run)
            run.server_cpu = server_delta(server.stats_url, before)["cpu"]
            n.e2e_rss_kib = max(n.e2e_rss_kib, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        return await stored_sample(store, args.sample)
    finally:
        await store.close()


async def prepared(db: Path, feeds: list[str]) -> None:
    """Create a fresh database holding the feeds (due at once), as `feeds import` leaves it."""
    store = await open_store(f"sqlite+aiosqlite:///{db}")
    try:
        await add_feeds(store, feeds)
    finally:
        await store.close()


async def stored_counts(db: Path) -> dict[str, int]:
    store = await open_store(f"sqlite+aiosqlite:///{db}")
    try:
        return await article_counts(store)
    finally:
        await store.close()


def newsbot_command() -> list[str]:
    """Return the `newsbot` console script of this environment (python -m bot without it)."""
    script = Path(sys.executable).with_name("newsbot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


def cli_run(args: argparse.Namespace, db: Path, server: Server, run: Run) -> None:
    """Run `newsbot poll` as a subprocess on a fresh database, as an operator runs it."""
    asyncio.run(prepared(db, server.feeds))
    run.feeds = len(server.feeds)
    env = {
        **os.environ,
        "NEWSBOT_DATABASE_URL": f"sqlite:///{db}",
        "NEWSBOT_ALLOW_PRIVATE_NETWORKS": "true",
        "NEWSBOT_MIN_CHECK_INTERVAL": "60",
        "NEWSBOT_LOG_LEVEL": "WARNING",
    }
    if args.concurrency:
        env["NEWSBOT_POLL_CONCURRENCY"] = str(args.concurrency)
    before, children = server_stats(server.stats_url), resource.getrusage(resource.RUSAGE_CHILDREN)
    run.load = os.getloadavg()[0]
    started = time.perf_counter()
    # cwd: the database's folder, so no .env of the checkout is read.
    done = subprocess.run(
        [*newsbot_command(), "poll"],
        env=env,
        cwd=db.parent,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    run.seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    run.cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    run.server_cpu = server_delta(server.stats_url, before)["cpu"]
    counts = asyncio.run(stored_counts(db))
    run.articles, run.summarized = counts["total"], counts["total"] - counts["unsummarized"]
    if done.returncode != 0:
        run.errors.append(f"newsbot poll exited {done.returncode}: {done.stderr[-500:]}")
    elif "0 errors" not in done.stdout:
        run.errors.append(done.stdout.strip()[-300:])


async def stored_sample(store: Store, sample: int) -> list[Article]:
    """Return about `sample` stored articles, spread evenly over the table."""
    async with store.connect() as conn:
        total = (await conn.execute(select(func.count()).select_from(articles))).scalar_one()
        step = max(1, total // max(1, sample))
        stmt = select(articles).where(articles.c.id % step == 0).order_by(articles.c.id)
        rows = (await conn.execute(stmt.limit(sample))).all()
    return [article_from_row(row) for row in rows]


def summarizer_only(chosen: list[Article], settings: Settings, items: int, n: Numbers) -> None:
    """Time the summarizer alone (language detection + summarize, as the job calls them)."""
    cpu, started = time.process_time(), time.perf_counter()
    for article in chosen:
        summarize_article(article, settings)
    solo = n.solo.setdefault(items, [0, 0.0, 0.0])
    solo[0] += len(chosen)
    solo[1] += time.perf_counter() - started
    solo[2] += time.process_time() - cpu


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


def measure(args: argparse.Namespace, folder: Path) -> Numbers:
    """Run every configuration, the summarizer alone between them, then the breakdown."""
    n = Numbers(feeds=args.feeds, items=args.items[0], load=[os.getloadavg()[0]])
    n.sites, n.rss_before_kib = args.sites, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    settings = bench_settings(folder / "x.db", args.concurrency)
    runs = len(args.hosts) * (2 if args.cli else 1)
    for items in args.items:
        sample: list[Article] = []
        done = 0

        def solo() -> None:
            # A slice of the sample after each run, so the machine's other work (which comes
            # and goes) weighs on the summarizer alone as on the runs.
            nonlocal done
            summarizer_only(sample[done::runs], settings, items, n)  # noqa: B023
            done += 1

        for hosts in args.hosts:
            server = start_server(args.feeds, items, args.teaser_share, host_count(args, hosts))
            try:
                n.server.setdefault("setup", server_stats(server.stats_url))
                run = Run(items, hosts, "worker")
                db = fresh(folder / f"worker-{items}-{hosts}.db")
                got = asyncio.run(worker_run(args, db, server, run, n))
                n.runs.append(run)
                if not sample:
                    sample = got
                    # Warm up (language model, stemmer caches) as a long-running bot would be.
                    summarize_article(sample[0], settings)
                solo()
                if args.cli:
                    run = Run(items, hosts, "cli")
                    cli_run(args, fresh(folder / f"cli-{items}-{hosts}.db"), server, run)
                    n.runs.append(run)
                    solo()
                if not args.no_breakdown and items == args.items[0] and hosts == args.hosts[-1]:
                    db = fresh(folder / f"sequential-{items}-{hosts}.db")
                    asyncio.run(breakdown(args, db, server, n))
            finally:
                server.stop()
    n.load.append(os.getloadavg()[0])
    return n


def fresh(db: Path) -> Path:
    """Return `db` with any earlier file of that name removed."""
    for old in db.parent.glob(db.name + "*"):
        old.unlink()
    return db


async def breakdown(args: argparse.Namespace, db: Path, server: Server, n: Numbers) -> None:
    """On a fresh database: poll, then summarize in a thread, timing each stage; then poll
    again (every feed answers 304)."""
    settings = bench_settings(db, args.concurrency)
    store = await open_store(settings.database_url)
    try:
        await add_feeds(store, server.feeds)
        if args.sql_timing:
            time_sql(store, n)
        async with Fetcher(settings) as fetcher:
            with stage_cpu(n.cpu), page_round_timed(n):
                await first_poll(store, fetcher, settings, n, server.stats_url)
                await summarize_all(store, settings, n)
            n.rss_peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            await second_poll(store, fetcher, settings, n, server.stats_url)
    finally:
        await store.close()


@contextlib.contextmanager
def page_round_timed(n: Numbers) -> Iterator[None]:
    """Add the wall time of the poll's article-page round (news.pages) to n.pages_seconds."""
    original = jobs.poll.complete_pages

    async def timed(*args: Any, **kwargs: Any) -> int:
        started = time.perf_counter()
        try:
            return await original(*args, **kwargs)
        finally:
            n.pages_seconds += time.perf_counter() - started

    jobs.poll.complete_pages = timed  # type: ignore[assignment]
    try:
        yield
    finally:
        jobs.poll.complete_pages = original  # type: ignore[assignment]


def rate(count: float, seconds: float) -> str:
    return f"{count / seconds:,.1f}" if seconds > 0 else "-"


def verdict(ok: bool) -> str:
    return "yes" if ok else "**no**"


def solo_rate(n: Numbers, items: int) -> float:
    """Return the summarizer-alone rate (articles/s) measured on the texts of `items` feeds."""
    articles, seconds, _ = n.solo.get(items, [0, 0.0, 0.0])
    return articles / seconds if seconds else 0.0


def goal_rows(n: Numbers) -> list[str]:
    """Return the main table: one row per end-to-end run, its rate against the summarizer's."""
    rows = [
        "| Items per feed | Hosts | Run as | Articles stored / summarized | Seconds (poll done "
        "at) | Articles/s | Summarizer alone, articles/s | **Ratio** | Goal >= 0.5 | CPU s: "
        "main process / summarizer processes | Load average at the start |",
        "|---:|---|---|---:|---:|---:|---:|---:|:---:|---:|---:|",
    ]
    for run in n.runs:
        solo = solo_rate(n, run.items)
        got = run.articles / run.seconds if run.seconds else 0.0
        ratio = got / solo if solo else 0.0
        expected = run.feeds * run.items
        complete = run.articles == run.summarized == expected and not run.errors
        done_at = f" ({run.poll_seconds:,.1f})" if run.poll_seconds is not None else ""
        mode = "`newsbot worker`" if run.mode == "worker" else "`newsbot poll` (subprocess)"
        hosts = "1 (127.0.0.1)" if run.hosts == "1" else f"{n.sites} (127.0.0.x)"
        cpu = (
            f"{run.cpu:,.1f} / {run.child_cpu:,.1f}"
            if run.mode == "worker"
            else f"{run.cpu:,.1f} (both, start-up included)"
        )
        rows.append(
            f"| {run.items} | {hosts} | {mode} | {run.articles:,} / {run.summarized:,}"
            f"{'' if complete else ' **(expected ' + format(expected, ',') + ')**'} "
            f"| {run.seconds:,.1f}{done_at} | {got:,.1f} | {solo:,.1f} | **{ratio:.2f}** "
            f"| {verdict(ratio >= GOAL_RATIO and complete)} | {cpu} | {run.load:.1f} |"
        )
    return rows


def other_rows(n: Numbers) -> list[str]:
    """Return the second poll's goals, memory and failures."""
    per_1000 = n.second_seconds * 1000 / max(1, n.feeds)
    unchanged = n.second_statuses.get("not_modified", 0)
    failed = sum(len(run.errors) for run in n.runs) + len(n.errors)
    rows = ["| Measure | Value | Goal | Met |", "|---|---:|---:|:---:|"]
    if n.second_seconds:
        rows += [
            f"| Second poll (all 304), {n.items} items per feed, {n.sites} hosts: feeds/s "
            f"| {rate(n.feeds, n.second_seconds)} ({n.second_seconds:,.2f} s) |||",
            f"| **Second poll, per 1,000 feeds** | {per_1000:,.2f} s | < {GOAL_SECOND_POLL:g} s "
            f"| {verdict(per_1000 < GOAL_SECOND_POLL)} |",
            f"| Second poll: feeds that answered 304 | {unchanged:,} of {n.feeds:,} | all "
            f"| {verdict(unchanged == n.feeds)} |",
        ]
    rows += [
        f"| Peak memory of the worker process, ru_maxrss | {n.e2e_rss_kib / 1024:,.0f} MiB "
        f"(before the first run {n.rss_before_kib / 1024:,.0f} MiB) |||",
        f"| Feeds that failed, all runs | {failed} | 0 | {verdict(not failed)} |",
    ]
    return rows


def sequential_rows(n: Numbers) -> list[str]:
    """Return the breakdown run's rows (poll, then summarize in a thread), if it ran."""
    if not n.poll_seconds:
        return []
    seq = n.poll_seconds + n.summarize_seconds
    seq_rate = n.new_articles / seq if seq else 0.0
    solo = solo_rate(n, n.items)
    return [
        f"| Sequential: first poll, feeds/s | {rate(n.feeds, n.poll_seconds)} "
        f"({n.new_articles:,} articles in {n.poll_seconds:,.1f} s) |||",
        f"| Sequential: then summarize all in a thread: articles/s "
        f"| {rate(n.summarized, n.summarize_seconds)} ({n.summarize_seconds:,.1f} s) |||",
        f"| Sequential: poll + summarize articles/s (ratio to the summarizer alone) "
        f"| {seq_rate:,.1f} ({seq_rate / solo if solo else 0:.2f}) |||",
    ]


def stage_rows(n: Numbers) -> list[str]:
    """Return the time-share table: wall time by RefreshResult.seconds, and CPU time."""
    if not n.poll_seconds:
        return []
    feeds_wall = n.poll_seconds - n.pages_seconds
    total = sum(n.stage_seconds.get(s, 0.0) for s in STAGES) or 1.0
    e2e = n.poll_seconds + n.summarize_seconds
    cpu_total = n.poll_cpu + n.summarize_cpu
    rest = n.poll_cpu - n.cpu.get("parse", 0.0) - n.cpu.get("extract", 0.0)
    summarize = n.cpu.get("summarize", 0.0)
    cpu = {
        "poll: HTTP, SQL, event loop": rest,
        "poll: parse": n.cpu.get("parse", 0.0),
        "poll: extract (article pages)": n.cpu.get("extract", 0.0),
        "summarize job: summarizer": summarize,
        "summarize job: SQL, threads": n.summarize_cpu - summarize,
    }
    rows = [
        f"| Stage (sequential run, {n.items} items per feed) | Task-seconds | Wall seconds "
        "| Share of the wall time | CPU seconds | Share of CPU |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for stage in ("fetch", "parse", "store"):
        spent = n.stage_seconds.get(stage, 0.0)
        wall = spent / total * feeds_wall
        rows.append(f"| feeds: {stage} | {spent:,.1f} | {wall:,.1f} | {wall / e2e:.0%} |||")
    rows.append(
        f"| article pages: fetch + extract + store (news.pages round) || "
        f"{n.pages_seconds:,.1f} | {n.pages_seconds / e2e:.0%} |||"
    )
    rows.append(
        f"| summarize (thread) || {n.summarize_seconds:,.1f} | {n.summarize_seconds / e2e:.0%} |||"
    )
    for name, seconds in cpu.items():
        rows.append(f"| CPU: {name} |||| {seconds:,.1f} | {seconds / cpu_total:.0%} |")
    per_feed = 1000 * n.poll_cpu / max(1, n.feeds)
    rows.append(f"| CPU of the poll per feed |||| {per_feed:,.1f} ms ||")
    return rows


def notes(n: Numbers, args: argparse.Namespace) -> list[str]:
    """Return the paragraphs under the tables: how to read them, server, machine."""
    setup, second = n.server.get("setup", {}), n.server.get("second", {})
    concurrency = bench_settings(Path("x"), args.concurrency).poll_concurrency
    server_cpu = ", ".join(f"{run.server_cpu:,.1f}" for run in n.runs)
    lines = [
        "What is measured. Each row is one end-to-end run on a fresh database: every feed "
        "polled once, every article stored and summarized. `newsbot worker`: its poll job "
        "(poll every feed, then summarize what is left) and its summarize job (every "
        f"{SUMMARIZE_EVERY:g} s) at once in one event loop, the summarizer in {n.processes} "
        "spawned process(es) started inside the timed span (warm-up included). `newsbot poll`: "
        "the command an operator runs, as a subprocess, timed from its start to its exit "
        "(imports, migrations check, summarizer start-up included); it summarizes beside the "
        "poll in the same processes. The summarizer-alone rate is the summarizer in one thread "
        "over a sample of the stored texts of that items count, a slice of it timed after each "
        "run, so the machine's other work weighs on both sides of the "
        f"ratio. One host: all {n.feeds:,} feeds and their article pages on 127.0.0.1, where "
        f"the fetcher allows {bench_settings(Path('x'), None).per_host_concurrency} requests "
        f"at once; many: {n.sites} hosts. poll_concurrency {concurrency}.",
        "",
        *breakdown_notes(n),
        f"Server (own process, 2 cores shared): CPU seconds per run, in row order: "
        f"{server_cpu}; {second.get('cpu', 0):,.2f} s during the second poll. Generated "
        f"{setup.get('feed_bytes', 0) / 2**20:,.0f} MiB of feeds and "
        f"{setup.get('page_bytes', 0) / 2**20:,.0f} MiB of article pages for the first server "
        f"in {setup.get('generate_seconds', 0):,.0f} s.",
        "",
        f"Machine: load average {n.load[0]:.1f} at the start, {n.load[-1]:.1f} at the end "
        f"(three other sessions share the 2 cores); OPENBLAS_NUM_THREADS="
        f"{os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}.",
    ]
    errors = n.errors + [e for run in n.runs for e in run.errors]
    if errors:
        lines += ["", "First errors:", *(f"- {e}" for e in errors[:5])]
    return lines


def breakdown_notes(n: Numbers) -> list[str]:
    """Return how to read the sequential breakdown table, if it ran."""
    if not n.poll_seconds:
        return []
    return [
        "The stage table comes from a sequential run on another fresh database (poll, then "
        "the summarize job in a thread): the poll refreshes the feeds (fetch, parse, store: "
        "Task-seconds are RefreshResult.seconds summed over the feeds refreshed at once, "
        "waiting included, and the feeds' wall time is split in their proportion), then one "
        "round of article pages (news.pages: claim, fetch, extract, store), timed as a whole. "
        "CPU seconds: parse, extract and the summarizer are timed inside their worker threads "
        "(thread CPU time); the rest is the process's CPU minus those. The poll used "
        f"{n.poll_cpu:,.1f} s CPU in {n.poll_seconds:,.1f} s "
        f"({n.poll_cpu / max(n.poll_seconds, 1e-9):.0%} of one core).",
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
        f"{n.feeds:,} feeds x {', '.join(map(str, args.items))} items ({args.teaser_share:.0%} "
        "teasers with an article page), SQLite; Python "
        f"{platform.python_version()}, {os.cpu_count()} cores; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC."
    )
    body = [
        *goal_rows(n),
        "",
        *other_rows(n),
        *sequential_rows(n),
        "",
        *stage_rows(n),
        "",
        *notes(n, args),
        *sql_rows(n),
    ]
    return "\n".join(["# bench-ingest", "", f"`{command}`", "", head, "", *body]) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    command = " ".join(
        [".venv/bin/python -m bench.ingest", *(sys.argv[1:] if argv is None else argv)]
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.db or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        numbers = measure(args, folder)
    text = report(numbers, args, command)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

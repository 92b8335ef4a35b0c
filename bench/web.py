"""`make bench-web`: the Mini App's archive and search pages under 50 concurrent clients.

`newsbot web` runs in its own process on a generated archive (bench.search_data's corpus, the
one bench/search.py builds); a load generator on loopback (httpx, asyncio) opens one session
per client, as Telegram's initData would, each client a private chat reading 20 of the
archive's 1,000 feeds, and then every client asks for pages back to back:

- archive: a past day's digest page (/app/c/ID/day/DATE), days spread over the archive;
- search: the first page of a search (/app/c/ID/search?q=...), the queries of bench/search.py
  (rare word, common word, phrase, two words), within the chat's feeds.

Latency is the time from sending the request to the last byte of the page. Side by side, in
this process: news.search.search_page as /search in the chat calls it (all feeds, 5 results),
one call at a time and 50 at once, and the two page functions without HTTP (day_digest, and
search_page within the chat's feeds). Goal: page p95 < 100 ms at 1,000,000 articles.

    python -m bench.web --articles 20000                     # build (or reuse) a small archive
    python -m bench.web --database postgresql+asyncpg://postgres@127.0.0.1:5432/newsbot_bench_1000000
    python -m bench.web --database sqlite:///data/bench/search-1000000.db

The benchmark adds its chats (ids from BENCH_CHAT) to the database and removes them after.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import socket
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import delete, func, select

from bench.report import publish
from bench.search_data import Corpus, load_sqlite, pick_queries
from bot.web.auth import sign_init_data
from harness.procs import role_env, start_role
from news import archive
from news.search import PER_PAGE, search_page
from news.settings import async_database_url
from news.storage import sources as source_store
from news.storage.db import Store, open_store
from news.storage.tables import articles, chat_sources, searches, subscriptions
from news.subscriptions import subscribe

TOKEN = "123456:bench-web-token"
BENCH_CHAT = 9_100_000_000
FEEDS_PER_CHAT = 20
GOAL_MS = 100.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _p(samples: list[float], q: int) -> float:
    if len(samples) < 2:
        return samples[0] if samples else float("nan")
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


async def add_chats(store: Store, clients: int, feeds: list[int]) -> list[int]:
    """Subscribe `clients` private chats, each reading FEEDS_PER_CHAT of `feeds`."""
    await remove_chats(store)
    now = datetime.now(UTC)
    chats = []
    for index in range(clients):
        chat = BENCH_CHAT + index
        await subscribe(
            store,
            chat,
            chat_type="private",
            title=None,
            digest_times=[datetime.min.time()],
            timezone="UTC",
            max_articles=10,
            now=now,
        )
        start = (index * FEEDS_PER_CHAT) % max(1, len(feeds) - FEEDS_PER_CHAT)
        async with store.begin() as conn:
            await source_store.set_exactly(conn, chat, feeds[start : start + FEEDS_PER_CHAT], now)
        chats.append(chat)
    return chats


async def remove_chats(store: Store) -> None:
    """Remove every row the benchmark's chats left."""
    async with store.begin() as conn:
        for table in (chat_sources, searches, subscriptions):
            await conn.execute(delete(table).where(table.c.chat_id >= BENCH_CHAT))


async def archive_span(store: Store) -> tuple[list[int], list[date]]:
    """Return the feed ids that have articles and the days the archive spans."""
    async with store.connect() as conn:
        first, last = (
            await conn.execute(
                select(func.min(articles.c.fetched_at), func.max(articles.c.fetched_at))
            )
        ).one()
        feeds = (await conn.execute(select(articles.c.feed_id).distinct())).scalars().all()
    first, last = archive_day(first), archive_day(last)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return sorted(feeds), days


def archive_day(value: datetime | str) -> date:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.date()


def init_data(user_id: int) -> str:
    user = json.dumps({"id": user_id, "first_name": "Bench"}, separators=(",", ":"))
    fields = {"auth_date": str(int(time.time())), "user": user, "query_id": f"q{user_id}"}
    return sign_init_data(TOKEN, fields)


async def session(client: httpx.AsyncClient, chat: int) -> None:
    entry = await client.get("/app/")
    xsrf = entry.text.split('data-xsrf="', 1)[1].split('"', 1)[0]
    answer = await client.post(
        "/app/session", data={"init_data": init_data(chat)}, headers={"X-XSRFToken": xsrf}
    )
    answer.raise_for_status()


async def load(
    base: str,
    chats: list[int],
    paths: Callable[[int, int], str],
    requests: int,
    think: float = 0.0,
) -> tuple[list[float], float, int]:
    """Return each request's milliseconds, the wall time and the failures: every chat a client."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [httpx.AsyncClient(base_url=base, timeout=60, limits=limits) for _ in chats]
    try:
        await asyncio.gather(*(session(c, chat) for c, chat in zip(clients, chats, strict=True)))
        samples: list[float] = []
        failures = 0

        async def run(client: httpx.AsyncClient, index: int) -> None:
            nonlocal failures
            if think:  # readers arrive over a pause, not all in the same millisecond
                await asyncio.sleep(think * index / len(clients))
            for n in range(requests):
                start = time.perf_counter()
                answer = await client.get(paths(index, n))
                await answer.aread()
                samples.append((time.perf_counter() - start) * 1000)
                failures += answer.status_code != 200
                if think:
                    await asyncio.sleep(think * (0.5 + ((index * 31 + n * 17) % 100) / 100))

        wall = time.perf_counter()
        await asyncio.gather(*(run(c, i) for i, c in enumerate(clients)))
        return samples, time.perf_counter() - wall, failures
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))


async def timed(call: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await call()
    return (time.perf_counter() - start) * 1000


async def in_process(
    store: Store, chats: list[int], days: list[date], queries: list[str], runs: int
) -> dict[str, list[float]]:
    """Return the milliseconds of the functions behind the pages, and of the chat's /search."""
    now = datetime.now(UTC)
    views = [await archive.chat_view(store, chat) for chat in chats]
    out: dict[str, list[float]] = {"chat": [], "chat50": [], "day": [], "websearch": []}
    for n in range(runs):
        query = queries[n % len(queries)]
        out["chat"].append(await timed(lambda q=query: search_page(store, q, page=1, now=now)))
        view = views[n % len(views)]
        day = days[n % len(days)]
        out["day"].append(
            await timed(lambda v=view, d=day: archive.day_digest(store, v, d, now=now))
        )
        out["websearch"].append(
            await timed(
                lambda v=view, q=query: search_page(
                    store, q, page=1, per_page=PER_PAGE, feed_ids=v.feed_ids, now=now
                )
            )
        )
    for n in range(0, runs, len(chats)):
        batch = [queries[(n + i) % len(queries)] for i in range(len(chats))]
        out["chat50"] += await asyncio.gather(
            *(timed(lambda q=q: search_page(store, q, page=1, now=now)) for q in batch)
        )
    return out


def row(
    name: str, clients: int, pause: str, samples: list[float], wall: float | None, goal: bool
) -> str:
    rate = f"{len(samples) / wall:.0f}" if wall else ""
    met = ("met" if _p(samples, 95) < GOAL_MS else "**missed**") if goal else ""
    return (
        f"| {name} | {clients} | {pause} | {len(samples)} | {_p(samples, 50):.1f} "
        f"| {_p(samples, 95):.1f} | {_p(samples, 99):.1f} | {rate} | {met} |"
    )


async def run(args: argparse.Namespace) -> str:
    url = args.database
    if url is None:
        path = Path(args.data_dir) / f"search-{args.articles}.db"
        if not path.exists():
            print(f"building {path} ({args.articles:,} articles)", flush=True)
            path.parent.mkdir(parents=True, exist_ok=True)
            await (await open_store(f"sqlite:///{path}")).close()
            await asyncio.to_thread(load_sqlite, path, Corpus.build(), args.articles)
        url = f"sqlite:///{path.resolve()}"
    url = async_database_url(url)
    store = await open_store(url, pool_size=args.clients)
    try:
        async with store.connect() as conn:
            count = (await conn.execute(select(func.count()).select_from(articles))).scalar_one()
        feeds, days = await archive_span(store)
        chats = await add_chats(store, args.clients, feeds)
        queries = [
            q for qs in pick_queries(Corpus.build(), per_class=5).classes.values() for q in qs
        ]
        port = _free_port()
        env = role_env(
            url,
            telegram_token=TOKEN,
            web_base_url=f"http://127.0.0.1:{port}",
            web_listen="127.0.0.1",
            web_port=port,
            search_per_minute=10_000_000,
            database_pool_size=args.clients,
            log_level="WARNING",
        )
        with tempfile.TemporaryDirectory() as logs, contextlib.ExitStack() as procs:
            webs = [
                procs.enter_context(
                    start_role(f"web{n}", ["web"], env, Path(logs), cwd=Path(logs))
                )
                for n in range(args.processes)
            ]
            base = f"http://127.0.0.1:{port}"
            for web in webs:
                await wait_listening(port, web)
            day_path = lambda i, n: f"/app/c/{chats[i]}/day/{days[(i * 7 + n) % len(days)]}"  # noqa: E731
            search_path = lambda i, n: (  # noqa: E731
                f"/app/c/{chats[i]}/search?"
                + httpx.QueryParams(q=queries[(i * 3 + n) % len(queries)]).__str__()
            )
            results = {}
            await load(base, chats[:2], day_path, 2)  # warm: imports, first statements
            for name, paths in (("archive", day_path), ("search", search_path)):
                for think in args.think:
                    print(f"{name}: {args.clients} clients x {args.requests}, think {think} s")
                    results[(name, think)] = await load(base, chats, paths, args.requests, think)
                results[(name, -1)] = await load(base, chats[:1], paths, args.requests)
            for web in webs:
                web.stop()
        print("in process: /search in chat, the page functions", flush=True)
        functions = await in_process(store, chats, days, queries, args.runs)
    finally:
        await remove_chats(store)
        await store.close()
    return render(args, url, count, len(days), results, functions)


async def wait_listening(port: int, proc: object) -> None:
    for _ in range(300):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise RuntimeError(f"newsbot web did not listen: {getattr(proc, 'tail', lambda: '')()}")


def render(
    args: argparse.Namespace,
    url: str,
    count: int,
    days: int,
    results: dict[tuple[str, float], tuple[list[float], float, int]],
    functions: dict[str, list[float]],
) -> str:
    backend = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    head = "| measured | clients | pause s | requests | p50 ms | p95 ms | p99 ms | req/s | goal |"
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    labels = {"archive": "archive day page (HTTP)", "search": "search page (HTTP)"}
    for (name, think), (samples, wall, _) in results.items():
        clients = 1 if think < 0 else args.clients
        pause = "0" if think <= 0 else f"{think:g}"
        lines.append(row(labels[name], clients, pause, samples, wall, think >= 0))
    for key, label, clients in (
        ("chat", "/search in chat: search_page, all feeds", 1),
        ("chat50", "/search in chat: search_page, all feeds", args.clients),
        ("day", "archive day: day_digest, not remembered (no HTTP)", 1),
        ("websearch", "web search: search_page, 20 feeds (no HTTP)", 1),
    ):
        lines.append(row(label, clients, "0", functions[key], None, False))
    failures = sum(r[2] for r in results.values())
    load_avg = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    when = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    return "\n".join(
        [
            "# Mini App pages under load",
            "",
            *lines,
            "",
            f"- {when}, {backend}, {count:,} articles over {days} days, {args.clients} chats "
            f"of {FEEDS_PER_CHAT} feeds; Python {platform.python_version()}, {os.cpu_count()} "
            f"cores, load average {load_avg} at the end; answers other than 200: {failures}.",
            f"- Command: `python -m bench.web {' '.join(_argv(args))}`",
            f"- HTTP rows: {args.processes} `newsbot web` process(es) sharing the port (one "
            "event loop each), the load generator "
            "in another; each client keeps one connection and sends its next request when the "
            "last answer is read, after a pause (0: none, the server saturated; else a "
            "reader's pause, 0.5 to 1.5 times the value, the clients' first requests spread "
            "over one pause). Rows without HTTP run in the "
            "benchmark's process.",
            "",
        ]
    )


def _argv(args: argparse.Namespace) -> list[str]:
    out = ["--database", args.database] if args.database else ["--articles", str(args.articles)]
    think = ",".join(f"{t:g}" for t in args.think)
    return [
        *out,
        "--clients",
        str(args.clients),
        "--processes",
        str(args.processes),
        "--requests",
        str(args.requests),
        "--think",
        think,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", default=None, help="an archive built by bench.search")
    parser.add_argument("--articles", type=int, default=20_000, help="without --database")
    parser.add_argument("--data-dir", default="data/bench")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument(
        "--processes", type=int, default=1, help="`newsbot web` processes sharing the port"
    )
    parser.add_argument("--requests", type=int, default=20, help="per client and page")
    parser.add_argument("--runs", type=int, default=100, help="in-process calls per function")
    parser.add_argument(
        "--think",
        type=lambda text: [float(t) for t in text.split(",")],
        default=[0.0, 1.0],
        help="seconds a client pauses between pages, one run each (comma-separated)",
    )
    parser.add_argument("--out", default="bench/results/web.md")
    args = parser.parse_args()
    publish(asyncio.run(run(args)), args.out)


if __name__ == "__main__":
    main()

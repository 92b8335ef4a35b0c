"""`make bench-search`: search latency at 1,000,000 generated articles on SQLite and PostgreSQL.

For each query class (rare word, common word, phrase, two words) it reports p50/p95 of the
function /search calls, called as /search calls it: search_page(), the first page of 5 results
(6 rows read, to know whether a next page exists) up to `now`. The goal is p95 < 50 ms for
every class on both backends. Two columns give context, on the same data in the same run:

- database: news.storage.search.find() alone, with the query parsed beforehand: the
  statements and their rows, without parsing and snippets. newsbot and database runs
  alternate, so both see the same load on a shared machine.
- all-time: the textbook query, every match ranked (bm25 / ts_rank_cd, same weights, same
  MATCH / tsquery), the same LIMIT and columns, no window and no `now`.

Why newsbot ranks only the newest 500 matches: the all-time column grows with a word's
matches (a common word at 1,000,000 articles takes a second or more), the window does not. On
PostgreSQL the window is found in id ranges with planner settings (news.storage.search_pg): a
single textbook `ORDER BY id DESC LIMIT 500` statement took 17 s for a phrase of two common
words at 1,000,000 articles, walking the primary key backwards.

    python -m bench.search --reuse           # 1,000,000 articles, both backends
    python -m bench.search --articles 50000  # a quick run
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Text, cast, select, text
from sqlalchemy.engine import make_url

from bench.report import publish
from bench.search_data import Corpus, load_postgres, load_sqlite, pg_database, pick_queries
from news.query import parse_query
from news.search import PER_PAGE, search_page
from news.settings import async_database_url
from news.storage import search_pg
from news.storage.db import Store, make_store, open_store
from news.storage.search import find as find_articles
from news.storage.search import fts5_match

PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
GOAL_MS = 50.0
LIMIT = PER_PAGE + 1  # the rows search_page reads for one page
SHOWN = """a.id, a.feed_id, a.title, a.url, a.published_at, a.fetched_at, a.text, a.summary,
    a.language, a.author, f.title"""

ALL_TIME_SQLITE = text(f"""SELECT {SHOWN}, bm25(articles_fts, 10.0, 4.0, 1.0) AS score
FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid JOIN feeds f ON f.id = a.feed_id
WHERE articles_fts MATCH :query ORDER BY score LIMIT {LIMIT}""")

ALL_TIME_PG = text(f"""SELECT {SHOWN}, ts_rank_cd('{search_pg.WEIGHTS}', a.tsv,
    CAST(CAST(:query AS text) AS tsquery)) AS r
FROM articles a JOIN feeds f ON f.id = a.feed_id
WHERE a.tsv @@ CAST(CAST(:query AS text) AS tsquery) ORDER BY r DESC LIMIT {LIMIT}""")


async def _time(call: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await call()
    return (time.perf_counter() - start) * 1000


def _p(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


async def _all_time_query(store: Store, query: str) -> str:
    """Return the MATCH expression or tsquery text of `query`, as newsbot builds it."""
    parsed = parse_query(query)
    if store.is_sqlite:
        return fts5_match(parsed)
    async with store.read_only() as conn:
        return str((await conn.execute(select(cast(search_pg.tsquery(parsed), Text)))).scalar())


async def _one_query(
    store: Store, query: str, now: datetime, args: argparse.Namespace
) -> tuple[list[float], list[float], list[float]]:
    """Return newsbot, database and all-time samples for one query."""
    parsed = parse_query(query)
    statement = ALL_TIME_SQLITE if store.is_sqlite else ALL_TIME_PG
    values = {"query": await _all_time_query(store, query)}

    async def newsbot() -> object:
        return await search_page(store, query, now=now)

    async def database() -> object:
        return await find_articles(store, parsed, limit=LIMIT, now=now)

    async def all_time() -> object:
        async with store.read_only() as conn:
            return (await conn.execute(statement, values)).all()

    await newsbot()  # warms the caches of both
    ours: list[float] = []
    hand: list[float] = []
    for run in range(args.runs):
        if run % 2:
            hand.append(await _time(database))
        ours.append(await _time(newsbot))
        if not run % 2:
            hand.append(await _time(database))
    textbook = [await _time(all_time) for _ in range(args.all_time_runs)]
    return ours, hand, textbook


async def measure(
    stores: dict[str, Store], queries: dict[str, list[str]], args: argparse.Namespace
) -> dict[str, list[list[str]]]:
    """Return each store's table rows: class, newsbot p50/p95, goal, database and all-time.

    The stores take turns query by query, so that every one sees the same machine load.
    """
    now = datetime.now(UTC)
    rows: dict[str, list[list[str]]] = {label: [] for label in stores}
    for name, items in queries.items():
        samples = {label: ([], [], []) for label in stores}
        for query in items:
            for label, store in stores.items():
                found = await _one_query(store, query, now, args)
                for kept, new in zip(samples[label], found, strict=True):
                    kept.extend(new)
        for label, (ours, database, textbook) in samples.items():
            rows[label].append([name, *_cells(ours, database, textbook)])
    return rows


def _cells(ours: list[float], database: list[float], textbook: list[float]) -> list[str]:
    p95 = _p(ours, 95)
    cells = [f"{_p(ours, 50):.1f}", f"{p95:.1f}", "met" if p95 < GOAL_MS else "**missed**"]
    cells += [f"{_p(database, 50):.1f}", f"{_p(database, 95):.1f}"]
    if len(textbook) > 1:
        return [*cells, f"{_p(textbook, 50):.1f}", f"{_p(textbook, 95):.1f}"]
    return [*cells, "-", "-"]


SETTINGS = ("shared_buffers", "effective_cache_size", "random_page_cost", "work_mem", "jit")
STORAGE = text("""SELECT a.attstorage::text,
    coalesce(array_to_string(i.reloptions, ','), 'defaults')
FROM pg_attribute a, pg_class i
WHERE a.attrelid = 'articles'::regclass AND a.attname = 'tsv' AND i.relname = 'ix_articles_tsv'""")
STORAGE_NAMES = {"m": "MAIN", "x": "EXTENDED", "e": "EXTERNAL", "p": "PLAIN"}


async def describe(store: Store) -> str:
    """Return the PostgreSQL server's version and settings, and how the tsvector is stored."""
    async with store.read_only() as conn:
        version = (await conn.execute(text("SHOW server_version"))).scalar()
        shown = [f"{n}={(await conn.execute(text(f'SHOW {n}'))).scalar()}" for n in SETTINGS]
        storage, index = (await conn.execute(STORAGE)).one()
    return (
        f"PostgreSQL {version}, {', '.join(shown)} (search sets work_mem and jit per "
        f"transaction); tsv STORAGE {STORAGE_NAMES.get(storage, storage)}, GIN index {index}"
    )


async def run_backend(
    backend: str, corpus: Corpus, args: argparse.Namespace
) -> tuple[dict[str, list[list[str]]], float, list[str]]:
    """Return the table rows per database, the load time in seconds (0 when reused), notes."""
    start = time.perf_counter()
    urls = {}
    if backend == "sqlite":
        path = Path(args.data_dir) / f"search-{args.articles}.db"
        fresh = not (args.reuse and path.exists())
        if fresh:
            path.unlink(missing_ok=True)
            await (await open_store(f"sqlite:///{path}")).close()
            await asyncio.to_thread(load_sqlite, path, corpus, args.articles)
        urls[backend] = f"sqlite:///{path}"
    else:
        url, fresh = await pg_database(PG_URL, f"newsbot_bench_{args.articles}", args.reuse)
        await (await open_store(url)).close()
        if fresh:
            await load_postgres(url, corpus, args.articles)
        urls[backend] = url
        for compare in args.pg_compare:  # LABEL=DATABASE, as it is: not migrated, not loaded
            label, _, name = compare.partition("=")
            urls[f"{backend} ({label})"] = (
                make_url(url).set(database=name).render_as_string(hide_password=False)
            )
    loaded = time.perf_counter() - start if fresh else 0.0
    stores = {label: make_store(async_database_url(u)) for label, u in urls.items()}
    try:
        notes = (
            []
            if backend == "sqlite"
            else [f"{label}: {await describe(store)}." for label, store in stores.items()]
        )
        queries = pick_queries(corpus, per_class=args.queries).classes
        return await measure(stores, queries, args), loaded, notes
    finally:
        for store in stores.values():
            await store.close()


Results = dict[str, tuple[dict[str, list[list[str]]], float, list[str]]]


def render(results: Results, args: argparse.Namespace) -> str:
    """Return the markdown report."""
    lines = [
        f"# Search latency, {args.articles:,} articles",
        "",
        f"ms per search (a page of {PER_PAGE} results, {LIMIT} rows), p50 and p95 over "
        f"{args.queries} queries per class x {args.runs} runs; all-time over "
        f"{args.queries} x {args.all_time_runs} runs. Goal: newsbot p95 < {GOAL_MS:.0f} ms.",
        "",
        "| backend | class | newsbot p50 | newsbot p95 | goal | database p50 | database p95 "
        "| all-time p50 | all-time p95 |",
        "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for tables, _, _ in results.values():
        for label, rows in tables.items():
            lines += [f"| {label} | " + " | ".join(row) + " |" for row in rows]
    doc = (__doc__ or "").split("\n\n")
    lines += ["", "\n\n".join(doc[1:4]), ""]
    lines += [
        f"Load time {b}: {loaded:.0f} s." if loaded else f"{b}: database reused (--reuse)."
        for b, (_, loaded, _) in results.items()
    ]
    lines += [note for _, _, notes in results.values() for note in notes]
    lines.append("How it grows with the archive: bench/results/search-growth.md.")
    load = os.getloadavg()[0]
    lines.append(f"Machine: {os.cpu_count()} cores, load average {load:.1f} at the end.")
    lines.append("Command: `python -m bench.search " + " ".join(sys.argv[1:]) + "`")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Generate, load, measure, print and write the report."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=20, help="queries per class")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per query")
    parser.add_argument("--all-time-runs", type=int, default=1, help="0 to skip the baseline")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--data-dir", default="data/bench")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the databases of an earlier run of this size"
    )
    parser.add_argument(
        "--pg-compare",
        action="append",
        default=[],
        metavar="LABEL=DATABASE",
        help="also measure this PostgreSQL database (same server, same data), side by side",
    )
    parser.add_argument("--out", default="bench/results/search.md")
    args = parser.parse_args()
    Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    corpus = Corpus.build()
    results = {}
    for backend in args.backends.split(","):
        print(f"{backend}: loading {args.articles:,} articles and measuring", flush=True)
        results[backend] = asyncio.run(run_backend(backend, corpus, args))
    publish(render(results, args), args.out)


if __name__ == "__main__":
    main()

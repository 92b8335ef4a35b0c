"""`make bench-search`: search latency at 1,000,000 generated articles on SQLite and PostgreSQL.

For each query class (rare word, common word, phrase, two words) it reports p50/p95 of
the function /search calls, called as /search calls it: search_page(), the first page of 5
results (6 rows read, to know whether a next page exists) up to `now`, beside two baselines on
the same data in the same run:

- bare: the database work of the same request and nothing else: newsbot's SQL sent straight
  through the driver (aiosqlite / asyncpg) on the connection newsbot's searches use (two
  connections to one SQLite file differ by up to 15% for the same statement, either way
  round from one run to the next, more than the gap being measured), with
  the MATCH expression / parsed query handed over ready-made. So: the same MATCH / tsquery, the
  same order (the newest 500 matches fetched before `now`, ranked by bm25 / ts_rank_cd with the
  same weights), the same LIMIT, and the columns a result shows (title, URL, dates, feed title,
  summary and text, the snippet's source, and the score). On SQLite that is one statement; on
  PostgreSQL a short transaction (planner settings, then one to three id-range steps), as a
  single textbook `ORDER BY id DESC LIMIT 500` statement takes 17 s for a phrase. Left out is
  what newsbot adds around it: parsing the query, taking a read connection, building the
  snippets and the result objects. Each bare answer is checked to list the same articles, in
  the same order, as newsbot's ("results differ" counts the queries where it does not).
- all-time: the textbook query, hand-written: every match ranked (bm25 / ts_rank_cd, same
  weights, same tsquery), the same LIMIT, the same columns, no window and no `now`.

newsbot and bare runs alternate, so both see the same load on a shared machine. The ratios:
p50 over p50 and p95 over p95 of all the class's runs pooled, and "per query": for each query
the median of its newsbot runs over the median of its bare runs, then the median of those over
the class's queries. Queries of one class differ in cost several-fold, so the pooled p50s can
fall on different queries; the per-query ratio compares each query with itself.

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
from typing import Any

from bench.report import publish
from bench.search_data import (
    SQLITE_TIME,
    Corpus,
    load_postgres,
    load_sqlite,
    pg_database,
    pick_queries,
)
from news.settings import async_database_url
from news.storage import search_pg
from news.storage.db import Store, open_store
from news.storage.search import PER_PAGE, WINDOW, search_page, sqlite_sql
from news.storage.search_query import ParsedQuery, fts5_match, parse_query

PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
LIMIT = PER_PAGE + 1  # the rows search_page reads for one page
SHOWN = """a.id, a.feed_id, a.title, a.url, a.published_at, a.fetched_at, a.text, a.summary,
    a.language, a.author, f.title"""

ALL_TIME_SQLITE = f"""SELECT {SHOWN}, bm25(articles_fts, 10.0, 4.0, 1.0) AS score
FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid JOIN feeds f ON f.id = a.feed_id
WHERE articles_fts MATCH :match ORDER BY score LIMIT {LIMIT}"""

ALL_TIME_PG = f"""SELECT {SHOWN},
    ts_rank_cd('{{0.1, 0.1, 0.4, 1.0}}', a.tsv, $1::text::tsquery) AS r
FROM articles a JOIN feeds f ON f.id = a.feed_id
WHERE a.tsv @@ $1::text::tsquery ORDER BY r DESC LIMIT {LIMIT}"""


async def bare_sqlite(driver: Any, match: str, now: datetime) -> list[Any]:
    """Return the page of results for an FTS5 MATCH expression: newsbot's statement, as is."""
    params = {"match": match, "now": now.strftime(SQLITE_TIME), "window": WINDOW}
    params |= {"limit": LIMIT, "offset": 0}
    return list(await driver.execute_fetchall(sqlite_sql(False, True), params))


async def bare_pg(driver: Any, parsed: ParsedQuery, now: datetime) -> list[Any]:
    """Return the page of results: newsbot's transaction of statements, as is."""
    return await search_pg.page(
        driver, parsed, window=WINDOW, limit=LIMIT, offset=0, columns=SHOWN, now=now
    )


async def _same(driver: Any) -> Any:
    return driver


async def _tsquery(driver: Any, query: str) -> str:
    args: list[object] = []
    sql = search_pg.tsquery_sql(parse_query(query), args)
    return str(await driver.fetchval(f"SELECT ({sql})::text", *args))


async def _time(call: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await call()
    return (time.perf_counter() - start) * 1000


def _p(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


async def _one_query(
    store: Store, driver: Any, query: str, now: datetime, args: argparse.Namespace
) -> tuple[list[float], list[float], list[float], bool]:
    """Return newsbot, bare and all-time samples for one query, and whether the results agree."""
    if store.is_sqlite:
        match = fts5_match(parse_query(query))
        params = {"match": match}

        async def bare() -> list[Any]:
            return await bare_sqlite(driver, match, now)

        async def all_time() -> object:
            return await driver.execute_fetchall(ALL_TIME_SQLITE, params)
    else:
        parsed = parse_query(query)
        tsquery = await _tsquery(driver, query)

        async def bare() -> list[Any]:
            return await bare_pg(driver, parsed, now)

        async def all_time() -> object:
            return await driver.fetch(ALL_TIME_PG, tsquery)

    async def newsbot() -> list[int]:
        return [hit.article.id for hit in (await search_page(store, query, now=now)).hits]

    same = await newsbot() == [row[0] for row in await bare()][:PER_PAGE]  # also warms both
    ours: list[float] = []
    hand: list[float] = []
    for run in range(args.runs):
        if run % 2:
            hand.append(await _time(bare))
        ours.append(await _time(newsbot))
        if not run % 2:
            hand.append(await _time(bare))
    textbook = [await _time(all_time) for _ in range(args.all_time_runs)]
    return ours, hand, textbook, same


async def measure(
    store: Store, queries: dict[str, list[str]], args: argparse.Namespace
) -> list[list[str]]:
    """Return table rows: class, newsbot, bare and all-time p50/p95, ratios, disagreements."""
    now = datetime.now(UTC)
    rows = []
    driver = await store.read(_same)  # the connection newsbot's searches will also use
    for name, items in queries.items():
        ours: list[float] = []
        bare: list[float] = []
        textbook: list[float] = []
        paired: list[float] = []
        differ = 0
        for query in items:
            o, b, t, same = await _one_query(store, driver, query, now, args)
            ours, bare, textbook, differ = (
                ours + o,
                bare + b,
                textbook + t,
                differ + (not same),
            )
            paired.append(statistics.median(o) / statistics.median(b))
        cells = [_p(ours, 50), _p(ours, 95), _p(bare, 50), _p(bare, 95)]
        ratios = [
            _p(ours, 50) / _p(bare, 50),
            _p(ours, 95) / _p(bare, 95),
            statistics.median(paired),
        ]
        extra = [_p(textbook, 50), _p(textbook, 95)] if len(textbook) > 1 else []
        rows.append(
            [name, *(f"{v:.1f}" for v in cells), *(f"{r:.2f}x" for r in ratios)]
            + ([f"{v:.1f}" for v in extra] or ["-", "-"])
            + [str(differ)]
        )
    return rows


async def run_backend(
    backend: str, corpus: Corpus, args: argparse.Namespace
) -> tuple[list[list[str]], float]:
    """Return the table rows of one backend and the load time in seconds (0 when reused)."""
    start = time.perf_counter()
    if backend == "sqlite":
        path = Path(args.data_dir) / f"search-{args.articles}.db"
        fresh = not (args.reuse and path.exists())
        if fresh:
            path.unlink(missing_ok=True)
            await (await open_store(f"sqlite:///{path}")).close()
            await asyncio.to_thread(load_sqlite, path, corpus, args.articles)
        url = f"sqlite:///{path}"
    else:
        url, fresh = await pg_database(PG_URL, f"newsbot_bench_{args.articles}", args.reuse)
        await (await open_store(url)).close()
        if fresh:
            await load_postgres(url, corpus, args.articles)
    loaded = time.perf_counter() - start if fresh else 0.0
    store = await open_store(async_database_url(url))
    try:
        queries = pick_queries(corpus, per_class=args.queries).classes
        return await measure(store, queries, args), loaded
    finally:
        await store.close()


def render(results: dict[str, tuple[list[list[str]], float]], args: argparse.Namespace) -> str:
    """Return the markdown report."""
    lines = [
        f"# Search latency, {args.articles:,} articles",
        "",
        f"ms per search (a page of {PER_PAGE} results, {LIMIT} rows), p50 and p95 over "
        f"{args.queries} queries per class x "
        f"{args.runs} runs; all-time over {args.queries} x {args.all_time_runs} runs.",
        "",
        "| backend | class | newsbot p50 | newsbot p95 | bare p50 | bare p95 "
        "| newsbot/bare p50 | newsbot/bare p95 | newsbot/bare per query "
        "| all-time p50 | all-time p95 | results differ |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for backend, (rows, _) in results.items():
        lines += [f"| {backend} | " + " | ".join(row) + " |" for row in rows]
    doc = (__doc__ or "").split("\n\n")
    lines += ["", "\n\n".join(doc[1:4]), ""]
    lines += [
        f"Load time {b}: {loaded:.0f} s." if loaded else f"{b}: database reused (--reuse)."
        for b, (_, loaded) in results.items()
    ]
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

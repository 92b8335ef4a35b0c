"""`make bench-search`: search latency at 1,000,000 generated articles on SQLite and PostgreSQL.

For each query class (rare word, common word, phrase, two words) it reports p50/p95 of
newsbot's search() (the function /search calls) beside the bare textbook query on the same
data and the same connection pool: FTS5 `MATCH ... ORDER BY bm25 LIMIT 10` with snippet(), and
`tsv @@ websearch_to_tsquery(...) ORDER BY ts_rank_cd DESC LIMIT 10` with ts_headline().

    python -m bench.search                   # 1,000,000 articles, both backends
    python -m bench.search --articles 50000  # a quick run
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.search_data import BASE_TIME, FEEDS, Corpus, article_rows, pick_queries
from news.settings import async_database_url
from news.storage.db import Store, open_store
from news.storage.search import search
from news.storage.search_query import fts5_match, parse_query

PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
BARE_SQLITE = """SELECT a.id, a.title, a.url, a.published_at, f.title,
    snippet(articles_fts, -1, char(2), char(3), '…', 24), bm25(articles_fts, 10.0, 4.0, 1.0) AS r
FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid JOIN feeds f ON f.id = a.feed_id
WHERE articles_fts MATCH ? ORDER BY r LIMIT 10"""
BARE_PG = """SELECT a.id, a.title, a.url, a.published_at, f.title,
    ts_headline('newsbot', left(a.text, 5000), q, 'MaxWords=24, MinWords=12') AS snippet,
    ts_rank_cd('{0.1, 0.1, 0.4, 1.0}', a.tsv, q) AS r
FROM articles a JOIN feeds f ON f.id = a.feed_id, websearch_to_tsquery('newsbot', $1) AS q
WHERE a.tsv @@ q ORDER BY r DESC LIMIT 10"""
COLUMNS = (
    "feed_id, entry_hash, url, title, published_at, fetched_at, sort_at, text, text_source,"
    " content_hash, summary, summarized_at, language"
)


def _full(row: tuple[object, ...]) -> tuple[object, ...]:
    feed_id, entry_hash, url, title, at, body, summary = row
    return (feed_id, entry_hash, url, title, at, at, at, body, "feed", "x", summary, at, "en")


def load_sqlite(path: Path, corpus: Corpus, count: int) -> None:
    """Bulk-load `count` articles, then build the FTS5 index in one pass ('rebuild')."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=DELETE")
    db.execute("PRAGMA synchronous=OFF")
    trigger = db.execute("SELECT sql FROM sqlite_master WHERE name = 'articles_ai'").fetchone()[0]
    db.execute("DROP TRIGGER articles_ai")
    db.executemany(
        "INSERT INTO feeds (id, url, title, enabled, next_check_at, error_count, created_at)"
        " VALUES (?, ?, ?, 1, '2024-01-01 00:00:00', 0, '2024-01-01 00:00:00')",
        [(i, f"https://feed{i}.example.com/rss", f"Feed {i}") for i in range(1, FEEDS + 1)],
    )
    marks = ", ".join("?" * 13)
    for rows in article_rows(corpus, count, start=BASE_TIME):
        db.executemany(
            f"INSERT INTO articles ({COLUMNS}) VALUES ({marks})",
            [_naive(_full(row)) for row in rows],
        )
    db.commit()
    db.execute("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")
    db.execute("INSERT INTO articles_fts(articles_fts) VALUES ('optimize')")
    db.execute(trigger)
    db.execute("ANALYZE")
    db.commit()
    db.execute("PRAGMA journal_mode=WAL")
    db.close()


def _naive(row: tuple[object, ...]) -> tuple[object, ...]:
    # What news.storage.tables.UTCDateTime stores on SQLite: naive UTC text.
    return tuple(
        v.replace(tzinfo=None).isoformat(" ") if isinstance(v, datetime) else v for v in row
    )


async def load_postgres(url: str, corpus: Corpus, count: int) -> None:
    """COPY `count` articles in (the tsvector is generated), then build the GIN index."""
    parsed = make_url(url)
    conn = await asyncpg.connect(
        host=parsed.host, port=parsed.port or 5432, user=parsed.username, database=parsed.database
    )
    try:
        await conn.execute("DROP INDEX ix_articles_tsv")
        await conn.copy_records_to_table(
            "feeds",
            columns=[
                "id",
                "url",
                "title",
                "enabled",
                "next_check_at",
                "error_count",
                "created_at",
            ],
            records=[
                (i, f"https://feed{i}.example.com/rss", f"Feed {i}", True, BASE_TIME, 0, BASE_TIME)
                for i in range(1, FEEDS + 1)
            ],
        )
        for rows in article_rows(corpus, count, start=BASE_TIME):
            await conn.copy_records_to_table(
                "articles", columns=COLUMNS.replace(" ", "").split(","), records=map(_full, rows)
            )
        await conn.execute("SET maintenance_work_mem = '512MB'")
        await conn.execute("CREATE INDEX ix_articles_tsv ON articles USING gin (tsv)")
        await conn.execute("VACUUM ANALYZE articles")
    finally:
        await conn.close()


async def _pg_database(name: str, reuse: bool) -> tuple[str, bool]:
    """Return the URL of the benchmark database and whether it is new (to be loaded)."""
    admin = make_url(PG_URL)
    conn = await asyncpg.connect(
        host=admin.host, port=admin.port or 5432, user=admin.username, database=admin.database
    )
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not (reuse and exists):
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = admin.set(database=name).render_as_string(hide_password=False)
    return url, not (reuse and exists)


async def _timed(call: Callable[[], Awaitable[object]], runs: int) -> list[float]:
    await call()  # warm caches and prepared statements
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _p(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1]


async def measure(store: Store, queries: dict[str, list[str]], runs: int) -> list[list[str]]:
    """Return table rows: class, newsbot p50/p95, bare p50/p95, p95 ratio."""
    rows = []
    for name, items in queries.items():
        ours: list[float] = []
        bare: list[float] = []
        async with store.connect() as conn:
            for query in items:

                async def newsbot(q: str = query) -> object:
                    return await search(store, q, limit=10)

                async def textbook(q: str = query) -> object:
                    if store.is_sqlite:
                        sql, arg = BARE_SQLITE, (fts5_match(parse_query(q)),)
                        return (await conn.exec_driver_sql(sql, arg)).all()
                    stmt = text(BARE_PG.replace("$1", ":q"))
                    return (await conn.execute(stmt, {"q": q})).all()

                ours += await _timed(newsbot, runs)
                bare += await _timed(textbook, runs)
        p95 = _p(ours, 95) / _p(bare, 95)
        rows.append(
            [name]
            + [f"{v:.1f}" for v in (_p(ours, 50), _p(ours, 95), _p(bare, 50), _p(bare, 95))]
            + [f"{p95:.2f}x"]
        )
    return rows


async def run_backend(
    backend: str, corpus: Corpus, args: argparse.Namespace
) -> tuple[list[list[str]], float]:
    """Return the table rows of one backend and the load time in seconds."""
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
        url, fresh = await _pg_database(f"newsbot_bench_{args.articles}", args.reuse)
        await (await open_store(url)).close()
        if fresh:
            await load_postgres(url, corpus, args.articles)
    loaded = time.perf_counter() - start
    store = await open_store(async_database_url(url))
    try:
        queries = pick_queries(corpus, per_class=args.queries).classes
        return await measure(store, queries, args.runs), loaded
    finally:
        await store.close()


def render(results: dict[str, tuple[list[list[str]], float]], articles: int) -> str:
    """Return the markdown report."""
    lines = [
        f"# Search latency, {articles:,} articles",
        "",
        "ms per query (limit 10); bare = textbook query ranked over all matches.",
        "",
        "| backend | class | newsbot p50 | newsbot p95 | bare p50 | bare p95 | p95 newsbot/bare |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for backend, (rows, _) in results.items():
        lines += [f"| {backend} | " + " | ".join(row) + " |" for row in rows]
    lines.append("")
    lines += [
        f"Load time {b}: {loaded:.0f} s" if loaded >= 1 else f"{b}: database reused (--reuse)"
        for b, (_, loaded) in results.items()
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Generate, load, measure, print and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=20, help="queries per class")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per query")
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
    report = render(results, args.articles)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(report)
    print(report)


if __name__ == "__main__":
    main()

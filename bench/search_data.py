"""Generated articles for the search benchmark: Zipf-distributed words, loaded in bulk.

The vocabulary starts with the commonest English words (so stop words are as frequent as in
real text), followed by made-up words; word ranks follow Zipf's law with exponent ~1.07, as
in English news text. Titles, summaries and texts are sampled independently per article.
Loading bypasses the application: SQLite gets plain INSERTs and one FTS5 'rebuild', PostgreSQL
gets COPY and then its GIN index, both on a schema made by the migrations.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import numpy as np
from sqlalchemy.engine import make_url

from bench.report import FUNCTION_WORDS

SYLLABLES = (  # noqa: SIM905
    "ka ri to mo na le vi sa do pe lu ba ne chi ro fa gu te mi zo ha ku se ya po ti ma "
    "re no da bi fu ze lo ga hi su de wa ni ko ra pu bo me li so"
).split()

VOCABULARY_SIZE = 120_000
ZIPF_EXPONENT = 1.07
TITLE_WORDS, SUMMARY_WORDS, TEXT_WORDS = 9, 30, 120
FEEDS = 1_000


def vocabulary(size: int = VOCABULARY_SIZE) -> list[str]:
    """Return `size` distinct words: function words first, then made-up words of 2-5 syllables."""
    words = list(FUNCTION_WORDS)
    seen = set(words)
    rng = random.Random(7)
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 5)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def zipf_weights(size: int) -> np.ndarray:
    """Return the probability of each word rank."""
    weights: np.ndarray = 1.0 / np.arange(1, size + 1) ** ZIPF_EXPONENT
    return weights / float(weights.sum())


@dataclass(frozen=True)
class Corpus:
    """The vocabulary and its probabilities, shared by generation and query picking."""

    words: list[str]
    probabilities: np.ndarray

    @classmethod
    def build(cls, size: int = VOCABULARY_SIZE) -> Corpus:
        """Return the benchmark's corpus model."""
        return cls(vocabulary(size), zipf_weights(size))


def article_rows(
    corpus: Corpus, count: int, *, start: datetime, seed: int = 1, batch: int = 10_000
) -> Iterator[list[tuple[int, str, str, str, datetime, str, str]]]:
    """Yield batches of article tuples (feed_id, entry_hash, url, title, sort_at, text, summary).

    Articles come in time order, one a minute apart per 1,000, like a busy installation.
    """
    rng = np.random.default_rng(seed)
    words = np.array(corpus.words, dtype=object)
    per_article = TITLE_WORDS + SUMMARY_WORDS + TEXT_WORDS
    for first in range(0, count, batch):
        n = min(batch, count - first)
        ranks = rng.choice(len(words), size=(n, per_article), p=corpus.probabilities)
        feeds = rng.integers(1, FEEDS + 1, size=n)
        rows = []
        for i in range(n):
            ident = first + i
            sample = words[ranks[i]]
            title = " ".join(sample[:TITLE_WORDS]).capitalize()
            summary = " ".join(sample[TITLE_WORDS : TITLE_WORDS + SUMMARY_WORDS]) + "."
            text = _sentences(sample[TITLE_WORDS + SUMMARY_WORDS :])
            at = start + timedelta(seconds=ident * 3)
            rows.append(
                (
                    int(feeds[i]),
                    f"e{ident}",
                    f"https://example.com/{ident}",
                    title,
                    at,
                    text,
                    summary,
                )
            )
        yield rows


def _sentences(sample: np.ndarray) -> str:
    return " ".join(
        " ".join(sample[i : i + 15]).capitalize() + "." for i in range(0, len(sample), 15)
    )


@dataclass(frozen=True)
class QuerySet:
    """The queries of each class, picked from the corpus by frequency."""

    classes: dict[str, list[str]]


def pick_queries(corpus: Corpus, *, per_class: int = 20, seed: int = 3) -> QuerySet:
    """Return queries: rare words, common words, phrases of common words, two-word queries."""
    rng = random.Random(seed)
    stop = set(FUNCTION_WORDS)
    content = [(rank, w) for rank, w in enumerate(corpus.words) if w not in stop]
    common = [w for rank, w in content if rank < 600]
    middle = [w for rank, w in content if 600 <= rank < 5_000]
    rare = [w for rank, w in content if 20_000 <= rank < 60_000]
    return QuerySet(
        {
            "rare": rng.sample(rare, per_class),
            "common": rng.sample(common, per_class),
            "phrase": [
                f'"{a} {b}"'
                for a, b in zip(
                    rng.sample(common, per_class), rng.sample(common, per_class), strict=True
                )
            ],
            "two-word": [
                f"{a} {b}"
                for a, b in zip(
                    rng.sample(middle, per_class), rng.sample(common, per_class), strict=True
                )
            ],
        }
    )


BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)
# How SQLAlchemy's SQLite DATETIME stores timestamps: text compares in time order.
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"
COLUMNS = (
    "feed_id, entry_hash, url, title, published_at, fetched_at, sort_at, text, text_source,"
    " content_hash, summary, summarized_at, language"
)


def _full(row: tuple[object, ...]) -> tuple[object, ...]:
    feed_id, entry_hash, url, title, at, body, summary = row
    return (feed_id, entry_hash, url, title, at, at, at, body, "feed", "x", summary, at, "en")


def _naive(row: tuple[object, ...]) -> tuple[object, ...]:
    # What news.storage.tables.UTCDateTime stores on SQLite: naive UTC text.
    return tuple(
        v.replace(tzinfo=None).strftime(SQLITE_TIME) if isinstance(v, datetime) else v for v in row
    )


def load_sqlite(path: Path, corpus: Corpus, count: int) -> None:
    """Bulk-load `count` articles, then build the FTS5 index in one pass ('rebuild')."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=DELETE")
    db.execute("PRAGMA synchronous=OFF")
    trigger = db.execute("SELECT sql FROM sqlite_master WHERE name = 'articles_ai'").fetchone()[0]
    db.execute("DROP TRIGGER articles_ai")
    db.executemany(
        "INSERT INTO feeds (id, url, title, enabled, next_check_at, error_count, created_at)"
        " VALUES (?, ?, ?, 1, '2024-01-01 00:00:00.000000', 0, '2024-01-01 00:00:00.000000')",
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


async def _connect(url: str) -> asyncpg.Connection:
    parsed = make_url(url)
    return await asyncpg.connect(
        host=parsed.host, port=parsed.port or 5432, user=parsed.username, database=parsed.database
    )


async def load_postgres(url: str, corpus: Corpus, count: int) -> None:
    """COPY `count` articles in (the tsvector is generated), then build the GIN index."""
    conn = await _connect(url)
    try:
        await conn.execute("DROP INDEX ix_articles_tsv")
        columns = ["id", "url", "title", "enabled", "next_check_at", "error_count", "created_at"]
        feeds = [
            (i, f"https://feed{i}.example.com/rss", f"Feed {i}", True, BASE_TIME, 0, BASE_TIME)
            for i in range(1, FEEDS + 1)
        ]
        await conn.copy_records_to_table("feeds", columns=columns, records=feeds)
        for rows in article_rows(corpus, count, start=BASE_TIME):
            await conn.copy_records_to_table(
                "articles", columns=COLUMNS.replace(" ", "").split(","), records=map(_full, rows)
            )
        await conn.execute("SET maintenance_work_mem = '512MB'")
        await conn.execute(
            "CREATE INDEX ix_articles_tsv ON articles USING gin (tsv) WITH (fastupdate = off)"
        )
        await conn.execute("VACUUM ANALYZE articles")
    finally:
        await conn.close()


async def pg_database(admin_url: str, name: str, reuse: bool) -> tuple[str, bool]:
    """Return the URL of the benchmark database and whether it is new (to be loaded)."""
    conn = await _connect(admin_url)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not (reuse and exists):
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    return url, not (reuse and exists)

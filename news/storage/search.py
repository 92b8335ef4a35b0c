"""Full-text search over title, summary and text: the only module that branches on dialect.

Ordering, and why: results are ranked by relevance (FTS5 bm25 / PostgreSQL ts_rank_cd, title
weighted 10, summary 4, text 1) among the newest WINDOW matching articles. Ranking every match
of a common word costs time linear in its matches: at 1,000,000 articles a word in 7% of them
takes 100-180 ms in bare FTS5, and on PostgreSQL each match is a heap fetch. Walking the
matches newest first (FTS5 rowid order, the primary key on PostgreSQL: ids grow with insertion
time) and stopping after WINDOW bounds the work for common words, while a rarer query, with
fewer than WINDOW matches, is ranked over all time exactly like the textbook query. For a news
bot this is also what a reader wants: the best of the recent coverage, not the wordiest story
of three years ago. Paging stops at WINDOW results.

Cost, and why the driver is used directly: on SQLite one statement finds the window, ranks it,
cuts the page and only then joins the page's articles and feeds (joining first read every
match's text: 2x slower for a rare word). It runs in 0.3-0.5 ms for a rare word at 1,000,000
articles, SQLAlchemy's execute path adds ~0.1 ms a statement and a pooled connection as much
again. So the statement, a fixed text per shape, goes straight to aiosqlite / asyncpg on one of
the connections the store keeps for reads (Store.read), and the rows become Articles here.
PostgreSQL needs a short transaction (news.storage.search_pg).

What runs in Python around the statement (parsing, binding, building five results) is timed
inside a real flow of searches, not in a loop: right after the database call the same code runs
3-8x slower than timeit shows (cold caches), ~0.1 ms a page, a fifth of a rare word's search.
Hence the shortcuts: plain words skip the full parser, one scan per result finds where its
words match, and no frozen-dataclass constructor per result (news.models._value).

Snippets are built in Python from the rows found (news.storage.snippets), identically on both
backends. The query language is in news.storage.search_query; user text only ever reaches the
database as bound parameters inside quoted FTS5 strings or to_tsquery/phraseto_tsquery calls.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from news.models import Article, SearchHit, SearchPage
from news.storage import search_pg
from news.storage.db import Store
from news.storage.search_query import ParsedQuery, QueryError, fts5_match, parse_query
from news.storage.snippets import (
    MARK_END,
    MARK_START,
    Matcher,
    excerpt,
    matcher,
    words,
)
from news.storage.tables import NAIVE, as_utc, sqlite_text

__all__ = [
    "MARK_END",
    "MARK_START",
    "PER_PAGE",
    "WINDOW",
    "QueryError",
    "SearchPage",
    "parse_query",
    "search",
    "search_page",
]

log = logging.getLogger(__name__)

WINDOW = 500
MAX_LIMIT = 50
PER_PAGE = 5  # results on a page of /search

# What a result row holds, in this order, on both backends (then the score).
COLUMNS = """a.id, a.feed_id, a.title, a.url, a.published_at, a.fetched_at, a.text,
    a.summary, a.language, a.author, f.title"""


@cache
def sqlite_sql(feed_filter: bool, bounded: bool) -> str:
    """Return the SQLite statement for a search (with a feed filter; with a `now` bound)."""
    join = where = ""
    if feed_filter:  # the ids come as one JSON array, so the statement text stays the same
        join = " JOIN articles ON articles.id = articles_fts.rowid"
        where = " AND articles.feed_id IN (SELECT value FROM json_each(:feed_ids))"
    if bounded:  # ids grow with fetch time: the newest article fetched by then bounds them
        where += """ AND articles_fts.rowid <= (SELECT id FROM articles
        WHERE fetched_at <= :now ORDER BY fetched_at DESC, id DESC LIMIT 1)"""
    # Only fixed fragments are formatted in; every value is a bound parameter.
    return f"""WITH hits AS (
    SELECT articles_fts.rowid AS id, bm25(articles_fts, 10.0, 4.0, 1.0) AS score
    FROM articles_fts{join}
    WHERE articles_fts MATCH :match{where}
    ORDER BY articles_fts.rowid DESC LIMIT :window),
page AS (SELECT id, score FROM hits ORDER BY score, id DESC LIMIT :limit OFFSET :offset)
SELECT {COLUMNS}, page.score
FROM page JOIN articles a ON a.id = page.id JOIN feeds f ON f.id = a.feed_id
ORDER BY page.score, page.id DESC"""  # noqa: S608


def _sqlite_statement(
    parsed: ParsedQuery, limit: int, offset: int, feed_ids: Sequence[int] | None, now: str | None
) -> tuple[str, dict[str, object]]:
    """Return the SQLite statement of a search and its parameters."""
    params: dict[str, object] = {"match": fts5_match(parsed), "window": WINDOW}
    params |= {"limit": limit, "offset": offset}
    if feed_ids is not None:
        params["feed_ids"] = json.dumps([int(i) for i in feed_ids])
    if now is not None:
        params["now"] = now
    return sqlite_sql(feed_ids is not None, now is not None), params


async def _rows(
    store: Store,
    parsed: ParsedQuery,
    limit: int,
    offset: int,
    feed_ids: Sequence[int] | None,
    now: datetime | None,
) -> list[Sequence[Any]]:
    if now is not None and now.tzinfo is None:
        raise ValueError(NAIVE)
    if store.is_sqlite:
        # SQLite compares the stored text: `now` is bound as the tables store it.
        bound = None if now is None else sqlite_text(now)
        sql, params = _sqlite_statement(parsed, limit, offset, feed_ids, bound)
        # The driver's coroutine is the work itself: no frame of ours in between.
        return list(await store.read(lambda driver: driver.execute_fetchall(sql, params)))
    return await store.read(
        lambda driver: search_pg.page(
            driver,
            parsed,
            window=WINDOW,
            limit=limit,
            offset=offset,
            columns=COLUMNS,
            feed_ids=feed_ids,
            now=now,
        )
    )


def _hit(row: Sequence[Any], matcher: Matcher, sqlite: bool) -> SearchHit:
    (id_, feed_id, title, url, published, fetched, text, summary, language, author) = row[:10]
    if sqlite:  # the stored text of a naive UTC time (read as UTC: ~5x faster than replace())
        published = published and datetime.fromisoformat(published + "+00:00")
        fetched = datetime.fromisoformat(fetched + "+00:00")
    else:
        published, fetched = as_utc(published), as_utc(fetched)
    article = Article(
        id_, feed_id, title, url, published, fetched, text, summary, language, author, row[10]
    )
    # bm25 is lower-is-better already; ts_rank_cd is higher-is-better.
    return SearchHit(article, excerpt(summary, text, matcher), row[11] if sqlite else -row[11])


async def _found(
    store: Store,
    query: str,
    *,
    limit: int,
    offset: int,
    feed_ids: Sequence[int] | None,
    now: datetime | None,
) -> tuple[ParsedQuery, list[Sequence[Any]]]:
    parsed = parse_query(query)
    limit = max(0, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    if limit == 0 or offset >= WINDOW or (feed_ids is not None and not feed_ids):
        return parsed, []
    return parsed, await _rows(store, parsed, min(limit, WINDOW - offset), offset, feed_ids, now)


def _hits(store: Store, parsed: ParsedQuery, rows: Sequence[Sequence[Any]]) -> list[SearchHit]:
    plain: list[str] = []
    prefixes: list[str] = []
    for group in parsed.groups:
        for term in group:
            if term.prefix:
                prefixes.append(term.text)
            else:
                plain += words(term.text)
    marks = matcher(tuple(plain), tuple(prefixes))
    hits = [_hit(row, marks, store.is_sqlite) for row in rows]
    log.debug("search done results=%d", len(hits))
    return hits


async def search(
    store: Store,
    query: str,
    *,
    limit: int = 10,
    offset: int = 0,
    feed_ids: Sequence[int] | None = None,
    now: datetime | None = None,
) -> list[SearchHit]:
    """Return the best matches for `query`, best first; raises QueryError for the user.

    `feed_ids` limits the search to those feeds; `now` hides articles fetched after it, so
    the pages of one search stay the same while new articles arrive.
    """
    parsed, rows = await _found(
        store, query, limit=limit, offset=offset, feed_ids=feed_ids, now=now
    )
    return _hits(store, parsed, rows)


async def search_page(
    store: Store,
    query: str,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
    feed_ids: Sequence[int] | None = None,
    now: datetime | None = None,
) -> SearchPage:
    """Return page `page` of the results for `query` and whether another page follows.

    What /search shows. One row more than the page is read to know whether it is the last;
    only the page's rows become results (snippets are most of the work after the query).
    """
    per_page = max(1, min(per_page, MAX_LIMIT - 1))
    offset = (max(1, page) - 1) * per_page
    parsed, rows = await _found(
        store, query, limit=per_page + 1, offset=offset, feed_ids=feed_ids, now=now
    )
    return SearchPage(_hits(store, parsed, rows[:per_page]), has_more=len(rows) > per_page)

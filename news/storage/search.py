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

Snippets are built in Python from the rows found (news.storage.snippets), identically on both
backends. The query language is in news.storage.search_query; user text only ever reaches the
database as bound parameters inside quoted FTS5 strings or to_tsquery/phraseto_tsquery calls.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, TextualSelect, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from news.models import Article, SearchHit
from news.storage import search_pg
from news.storage.db import Store
from news.storage.search_query import ParsedQuery, QueryError, fts5_match, parse_query
from news.storage.snippets import MARK_END, MARK_START, Matcher, first_words, snippet, words
from news.storage.tables import UTCDateTime

__all__ = ["MARK_END", "MARK_START", "WINDOW", "QueryError", "parse_query", "search"]

log = logging.getLogger(__name__)

WINDOW = 500
MAX_LIMIT = 50

_ROW_COLUMNS = """a.id, a.feed_id, a.title, a.url, a.published_at, a.fetched_at, a.text,
    a.summary, a.language, a.author, f.title AS feed_title, hits.score AS score"""


def _sqlite_sql(feed_filter: bool, id_bound: bool) -> str:
    join = "JOIN articles ON articles.id = articles_fts.rowid" if feed_filter else ""
    where = " AND articles.feed_id IN :feed_ids" if feed_filter else ""
    where += " AND articles_fts.rowid <= :max_id" if id_bound else ""
    # Only fixed fragments are formatted in; every value is a bound parameter.
    return f"""WITH hits AS (
    SELECT articles_fts.rowid AS id, bm25(articles_fts, 10.0, 4.0, 1.0) AS score
    FROM articles_fts {join}
    WHERE articles_fts MATCH :match{where}
    ORDER BY articles_fts.rowid DESC LIMIT :window)
SELECT {_ROW_COLUMNS}
FROM hits JOIN articles a ON a.id = hits.id JOIN feeds f ON f.id = a.feed_id
ORDER BY hits.score, hits.id DESC LIMIT :limit OFFSET :offset"""  # noqa: S608


def _statement(sql: str, feed_filter: bool) -> TextualSelect:
    clause = text(sql)
    if feed_filter:
        clause = clause.bindparams(bindparam("feed_ids", expanding=True))
    return clause.columns(published_at=UTCDateTime(), fetched_at=UTCDateTime())


async def _max_id(conn: AsyncConnection, now: datetime) -> int | None:
    """Return the newest article id fetched at or before `now` (ids grow with fetch time)."""
    stmt = text(
        "SELECT id FROM articles WHERE fetched_at <= :now"
        " ORDER BY fetched_at DESC, id DESC LIMIT 1"
    ).bindparams(bindparam("now", type_=UTCDateTime()))
    return (await conn.execute(stmt, {"now": now})).scalar()


async def _pg_rows(
    conn: AsyncConnection,
    parsed: ParsedQuery,
    params: dict[str, object],
    feed_ids: Sequence[int] | None,
    max_id: int | None,
) -> list[Row[*tuple[Any, ...]]]:
    tsquery = search_pg.tsquery_sql(parsed, params)
    ids = await search_pg.newest_matches(
        conn, tsquery, params, window=WINDOW, feed_ids=feed_ids, max_id=max_id
    )
    if not ids:
        return []
    clause = text(search_pg.ranked_sql(tsquery, _ROW_COLUMNS))
    stmt = clause.bindparams(bindparam("ids", expanding=True)).columns(
        published_at=UTCDateTime(), fetched_at=UTCDateTime()
    )
    return list((await conn.execute(stmt, {**params, "ids": ids})).all())


async def _rows(
    store: Store,
    parsed: ParsedQuery,
    params: dict[str, object],
    feed_ids: Sequence[int] | None,
    now: datetime | None,
) -> list[Row[*tuple[Any, ...]]]:
    async with store.connect() as conn:
        max_id = None
        if now is not None:
            max_id = await _max_id(conn, now)
            if max_id is None:
                return []
        if not store.is_sqlite:
            return await _pg_rows(conn, parsed, params, feed_ids, max_id)
        params["match"] = fts5_match(parsed)
        if feed_ids is not None:
            params["feed_ids"] = list(feed_ids)
        if max_id is not None:
            params["max_id"] = max_id
        sql = _sqlite_sql(feed_ids is not None, max_id is not None)
        result = await conn.execute(_statement(sql, feed_ids is not None), params)
        return list(result.all())


def _hit(row: Row[*tuple[Any, ...]], matcher: Matcher, sqlite: bool) -> SearchHit:
    article = Article(
        id=row.id,
        feed_id=row.feed_id,
        title=row.title,
        url=row.url,
        published_at=row.published_at,
        fetched_at=row.fetched_at,
        text=row.text,
        summary=row.summary,
        language=row.language,
        author=row.author,
        feed_title=row.feed_title,
    )
    excerpt = (
        snippet(article.summary or "", matcher)
        or snippet(article.text, matcher)
        or first_words(article.summary or article.text)
    )
    # bm25 is lower-is-better already; ts_rank_cd is higher-is-better.
    rank = float(row.score) if sqlite else -float(row.score)
    return SearchHit(article=article, snippet=excerpt, rank=rank)


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
    parsed = parse_query(query)
    limit = max(0, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    if limit == 0 or offset >= WINDOW or (feed_ids is not None and not feed_ids):
        return []
    params: dict[str, object] = {
        "window": WINDOW,
        "limit": min(limit, WINDOW - offset),
        "offset": offset,
    }
    rows = await _rows(store, parsed, params, feed_ids, now)
    plain = [w for term in parsed.terms if not term.prefix for w in words(term.text)]
    matcher = Matcher(plain, [term.text for term in parsed.prefixes])
    hits = [_hit(row, matcher, store.is_sqlite) for row in rows]
    log.debug("search done results=%d", len(hits))
    return hits

"""Full-text search queries: one page of the newest WINDOW matches of a parsed query, ranked.

Results are ranked by relevance (FTS5 bm25 / PostgreSQL ts_rank_cd, title weighted 10, summary
4, text 1) among the newest WINDOW matching articles. Ranking every match of a common word
takes time linear in its matches; walking the matches newest first (FTS5 rowid order, the
primary key on PostgreSQL: ids grow with insertion time) and stopping after WINDOW bounds the
work for common words, while a rarer query, with fewer than WINDOW matches, is ranked over all
time exactly like the textbook query. For a news bot this is also what a reader wants: the
best of the recent coverage, not the wordiest story of three years ago. Paging stops at WINDOW
results.

On SQLite one statement finds the window, ranks it, cuts the page and only then joins the
page's articles and feeds (joining first would read every match's text). PostgreSQL takes a
short transaction of its own (news.storage.search_pg). User text only ever reaches the
database as bound values, inside quoted FTS5 strings or to_tsquery/phraseto_tsquery calls.
Latency per query class at 1,000,000 articles: bench/results/search.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache

from sqlalchemy import BindParameter, TextualSelect, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from news.models import Article, ParsedQuery, Term
from news.storage import search_pg
from news.storage.articles import article_from_row
from news.storage.db import Store
from news.storage.tables import NAIVE, UTCDateTime

WINDOW = 500
MAX_LIMIT = 50

# What a result row holds (then its score), named as article_from_row reads them.
COLUMNS = """a.id, a.feed_id, a.title, a.url, a.published_at, a.fetched_at, a.text,
    a.summary, a.language, a.author, f.title AS feed_title"""


def fts5_match(parsed: ParsedQuery) -> str:
    """Return the FTS5 MATCH expression: every term double-quoted, so it is never syntax."""

    def one(term: Term) -> str:
        return '"' + term.text.replace('"', '""') + '"' + ("*" if term.prefix else "")

    groups = [
        one(g[0]) if len(g) == 1 else "(" + " OR ".join(map(one, g)) + ")" for g in parsed.groups
    ]
    expression = " AND ".join(groups)
    for term in parsed.excluded:
        expression = f"({expression}) NOT {one(term)}"
    return expression


@cache
def sqlite_statement(feed_filter: bool, bounded: bool) -> TextualSelect:
    """Return the SQLite statement of a search (with a feed filter; with a `now` bound)."""
    join = where = ""
    binds: list[BindParameter[object]] = []
    if feed_filter:
        join = " JOIN articles ON articles.id = articles_fts.rowid"
        where = " AND articles.feed_id IN :feed_ids"
        binds.append(bindparam("feed_ids", expanding=True))
    if bounded:  # ids grow with fetch time: the newest article fetched by then bounds them
        where += """ AND articles_fts.rowid <= (SELECT id FROM articles
        WHERE fetched_at <= :now ORDER BY fetched_at DESC, id DESC LIMIT 1)"""
        binds.append(bindparam("now", type_=UTCDateTime()))
    # Only fixed fragments are formatted in; every value is a bound parameter.
    statement = f"""WITH hits AS (
    SELECT articles_fts.rowid AS id, bm25(articles_fts, 10.0, 4.0, 1.0) AS score
    FROM articles_fts{join}
    WHERE articles_fts MATCH :match{where}
    ORDER BY articles_fts.rowid DESC LIMIT :window),
page AS (SELECT id, score FROM hits ORDER BY score, id DESC LIMIT :limit OFFSET :offset)
SELECT {COLUMNS}, page.score AS score
FROM page JOIN articles a ON a.id = page.id JOIN feeds f ON f.id = a.feed_id
ORDER BY page.score, page.id DESC"""  # noqa: S608
    typed = {"published_at": UTCDateTime(), "fetched_at": UTCDateTime()}
    return text(statement).bindparams(*binds).columns(**typed)


async def find(
    store: Store,
    parsed: ParsedQuery,
    *,
    limit: int,
    offset: int = 0,
    feed_ids: Sequence[int] | None = None,
    now: datetime | None = None,
) -> list[tuple[Article, float]]:
    """Return a page of matching articles with their rank (lower is better), best first.

    `feed_ids` limits the search to those feeds; `now` hides articles fetched after it.
    """
    if now is not None and now.tzinfo is None:
        raise ValueError(NAIVE)
    offset = max(0, offset)
    limit = min(limit, MAX_LIMIT, WINDOW - offset)
    if limit <= 0 or (feed_ids is not None and not feed_ids):
        return []
    ids = None if feed_ids is None else [int(i) for i in feed_ids]
    async with store.read_only() as conn:
        if store.is_sqlite:
            return await _sqlite_find(conn, parsed, limit, offset, ids, now)
        rows = await search_pg.page(
            conn,
            parsed,
            window=WINDOW,
            limit=limit,
            offset=offset,
            columns=COLUMNS,
            feed_ids=ids,
            now=now,
        )
    # ts_rank_cd is higher-is-better.
    return [(article_from_row(row), -row.score) for row in rows]


async def _sqlite_find(
    conn: AsyncConnection,
    parsed: ParsedQuery,
    limit: int,
    offset: int,
    feed_ids: list[int] | None,
    now: datetime | None,
) -> list[tuple[Article, float]]:
    values = {"match": fts5_match(parsed), "window": WINDOW, "limit": limit, "offset": offset}
    if feed_ids is not None:
        values["feed_ids"] = feed_ids
    if now is not None:
        values["now"] = now
    statement = sqlite_statement(feed_ids is not None, now is not None)
    rows = (await conn.execute(statement, values)).all()
    return [(article_from_row(row), row.score) for row in rows]  # bm25: lower is better

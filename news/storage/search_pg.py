"""PostgreSQL side of search: the tsquery built from parsed terms, and the newest-matches window.

One short transaction: a first statement sets the planner up, turns the parsed query into a
tsquery and finds the newest article id; then one statement per step returns the page of
results, ranked within the window, with the articles' columns and the number of matches found.
The tsquery travels back as text, so each step is planned with the real query.

The window is found in at most three id ranges: the newest FIRST_SPAN articles (more for a
word ANALYZE saw in many articles, so that the span holds the window at once); then a range
sized by the match density seen there; then all. Each step is a bitmap AND of the GIN index
(tsv) and the primary-key range, so only matching rows of the range are read from the heap.
When the density seen promises few matches in all (ALL_MATCHES), the first statement reads
the older articles too, straight from the GIN index: rare words, phrases and most two-word
queries take one statement. Plain index scans are switched off: ordering by id DESC would let
the planner walk the primary key backwards testing every row's tsvector, which for a phrase of
two common words (whose selectivity it cannot estimate) means the whole table. The one
exception is a word ANALYZE saw in so many articles that its GIN posting list is longer than a
walk back to the window's last match: that step walks the primary key, newest first, within
the span sized for the window (then the bitmap steps, if the span falls short). So is JIT
compilation, which costs more than these plans take. Only the window's rows are ranked, and
only the page's rows are joined to their feeds. A phrase's GIN lookup finds the articles
holding all its words, whose tsvectors are then read to check positions: the tsvector is kept
in the article's row (migration 0006), so each such check reads one page.
"""

from __future__ import annotations

import re
import time
import weakref
from collections.abc import Sequence
from datetime import datetime
from functools import cache, reduce
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Row,
    Select,
    Text,
    TextualSelect,
    cast,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from news.models import ParsedQuery, Term
from news.storage.tables import UTCDateTime, articles

# The first step looks at this many of the newest articles; the match density found there
# sizes the second step (with this much headroom); a third step, if needed, looks at all.
FIRST_SPAN = 10_000
HEADROOM = 1.5
# A first step that projects at most this many matches in all articles reads them all at once:
# as cheap as a density-sized middle step, whose primary-key range would be large.
ALL_MATCHES = 2_000
# A word so common that its GIN posting list (share x articles entries) is longer than
# WALK_COST times the rows a walk back to the window's last match reads (window / share) is
# found by that walk instead: share² x articles > WALK_COST x window. A walked row costs about
# as much as WALK_COST posting-list entries (bench/results/search-growth.md); the walk's cost
# does not grow with the archive, the posting list's does.
WALK_COST = 4
# How long the lexeme frequencies ANALYZE keeps (pg_stats) are reused.
STATS_SECONDS = 600.0
# Exact (not lossy) bitmaps for a word in a fifth of a million articles.
WORK_MEM = "32MB"
# ts_rank_cd weights are {D, C, B, A}: text (C) 1, summary (B) 4, title (A) 10.
WEIGHTS = "{0.1, 0.1, 0.4, 1.0}"
_CONFIG: ColumnElement[str] = literal_column("'newsbot'")
_QUERY = "CAST(CAST(:query AS text) AS tsquery)"


def tsquery(parsed: ParsedQuery) -> ColumnElement[Any]:
    """Return the tsquery of a parsed query (every term a bound value)."""

    def term(t: Term) -> ColumnElement[Any]:
        if t.prefix:  # one plain word (the parser checks), so nothing needs escaping
            return func.to_tsquery(_CONFIG, f"'{t.text}':*")
        # phraseto_tsquery runs the index's own parser on the words and never raises.
        return func.phraseto_tsquery(_CONFIG, t.text)

    groups = [reduce(func.tsquery_or, [term(t) for t in group]) for group in parsed.groups]
    query = reduce(func.tsquery_and, groups)
    for excluded in parsed.excluded:
        query = func.tsquery_and(query, func.tsquery_not(term(excluded)))
    return query


def _setup(parsed: ParsedQuery, now: datetime | None) -> Select[Any]:
    """Return the statement setting the planner up, with the tsquery text and the newest id."""
    if now is None:
        newest = select(func.max(articles.c.id))
    else:
        newest = (
            select(articles.c.id)
            .where(articles.c.fetched_at <= now)
            .order_by(articles.c.fetched_at.desc(), articles.c.id.desc())
            .limit(1)
        )
    # Only bitmap plans: GIN AND primary-key range. A plain index scan would test the
    # tsvector of every row in the range (or walk the whole table backwards for ORDER BY id).
    # A generic plan could not see how common the words are: plan each statement afresh.
    # The settings apply from the next statement on, until the transaction ends.
    settings = {
        "enable_indexscan": "off",
        "work_mem": WORK_MEM,
        "jit": "off",
        "plan_cache_mode": "force_custom_plan",
    }
    return select(
        *(func.set_config(name, value, True) for name, value in settings.items()),
        cast(tsquery(parsed), Text).label("query"),
        newest.scalar_subquery().label("newest"),
    )


@cache
def step_statement(columns: str, feed_filter: bool, walk: bool = False) -> TextualSelect:
    """Return one step: :query, ids in (:low, :top], :window, :limit, :offset.

    When the range (:low, :top] holds at most :few matches, the older articles (ids up to
    :low) are searched in the same statement. `columns` are of articles `a` and feeds `f`;
    rows end with the matches found in the range (near) and in the whole window (found).
    A `walk` step may read the range in id order (newest first), stopping at :window matches.
    """
    feeds = " AND feed_id = ANY(CAST(:feed_ids AS int[]))" if feed_filter else ""
    order = "id" if walk else "id + 0"
    statement = f"""WITH recent AS MATERIALIZED (
    SELECT id, tsv FROM articles
    WHERE tsv @@ {_QUERY} AND id > :low AND id <= :top{feeds}
    ORDER BY {order} DESC LIMIT :window),
older AS MATERIALIZED (
    SELECT id, tsv FROM articles
    WHERE (SELECT count(*) FROM recent) <= :few AND tsv @@ {_QUERY} AND id <= :low{feeds}
    ORDER BY id + 0 DESC LIMIT :window),
w AS MATERIALIZED (SELECT id, tsv FROM recent UNION ALL SELECT id, tsv FROM older LIMIT :window),
page AS (
    SELECT id, ts_rank_cd('{WEIGHTS}', tsv, {_QUERY}) AS score FROM w
    ORDER BY score DESC, id DESC LIMIT :limit OFFSET :offset)
SELECT {columns}, page.score AS score, n.near, n.found
FROM (SELECT (SELECT count(*) FROM recent) AS near, (SELECT count(*) FROM w) AS found) n
LEFT JOIN (page JOIN articles a ON a.id = page.id JOIN feeds f ON f.id = a.feed_id) ON true
ORDER BY page.score DESC, page.id DESC"""  # noqa: S608 - fixed fragments and bound values only
    return text(statement).columns(published_at=UTCDateTime(), fetched_at=UTCDateTime())


def _next_span(found: int, span: int, window: int) -> int | None:
    """Return the span that should hold `window` matches at the density seen, or None (all)."""
    if found == 0:
        return None
    return int(span * window / found * HEADROOM)


_STATS = text("""SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats
WHERE schemaname = current_schema() AND tablename = 'articles' AND attname = 'tsv'""")
_WORDS_ONLY = re.compile(r"'(?:[^']|'')+'(?: \| '(?:[^']|'')+')*")
_LEXEME = re.compile(r"'((?:[^']|'')+)'")
# Per database (engine): when the frequencies were read, and the frequencies.
_stats: weakref.WeakKeyDictionary[Engine, tuple[float, dict[str, float]]]
_stats = weakref.WeakKeyDictionary()


async def _frequencies(conn: AsyncConnection) -> dict[str, float]:
    """Return the share of articles holding each common lexeme (ANALYZE's sample), cached."""
    cached = _stats.get(conn.sync_engine)
    if cached is not None and time.monotonic() - cached[0] < STATS_SECONDS:
        return cached[1]
    row = (await conn.execute(_STATS)).first()
    if row is None or not row[0]:
        return {}  # not analyzed yet: ask again next time
    frequencies = dict(zip(row[0], row[1], strict=False))
    _stats[conn.sync_engine] = (time.monotonic(), frequencies)
    return frequencies


def _density(query: str, frequencies: dict[str, float]) -> float | None:
    """Return the share of articles a word (or an OR of words) is in, if ANALYZE listed them."""
    if not _WORDS_ONLY.fullmatch(query):
        return None  # phrases, ANDs and NOTs are rarer than their words: no estimate
    shares = [frequencies.get(lexeme.replace("''", "'")) for lexeme in _LEXEME.findall(query)]
    if not shares or None in shares:
        return None  # a word not listed is rare enough for the first span
    return min(1.0, sum(s for s in shares if s is not None))


async def _steps(
    conn: AsyncConnection,
    statement: TextualSelect,
    values: dict[str, object],
    *,
    span: tuple[int, int],
    window: int,
    few: int,
) -> Sequence[Row[Any]]:
    """Return the rows of the step that filled the window or reached the oldest article.

    `span` is the first step's range of ids (low, top], `values` the statement's other values.
    """
    low, top = span
    for attempt in range(3):
        step = {**values, "low": low, "top": top, "window": window, "few": few}
        rows = (await conn.execute(statement, step)).all()
        near, found = rows[0].near, rows[0].found
        if found >= window or low == 0 or near <= few:
            return rows
        wider = _next_span(near, top - low, window) if attempt == 0 else None
        low, few = (0 if wider is None else max(0, top - wider)), -1
    return rows


_WALK = select(
    func.set_config("enable_indexscan", "on", True),
    func.set_config("enable_bitmapscan", "off", True),
)
_NO_WALK = select(
    func.set_config("enable_indexscan", "off", True),
    func.set_config("enable_bitmapscan", "on", True),
)


async def _walk(
    conn: AsyncConnection, statement: TextualSelect, step: dict[str, object]
) -> Sequence[Row[Any]]:
    """Return the rows of one step that walks its id range newest first (plain index scans)."""
    await conn.execute(_WALK)
    rows = (await conn.execute(statement, step)).all()
    await conn.execute(_NO_WALK)
    return rows


async def page(
    conn: AsyncConnection,
    parsed: ParsedQuery,
    *,
    window: int,
    limit: int,
    offset: int,
    columns: str,
    feed_ids: Sequence[int] | None = None,
    now: datetime | None = None,
    first_span: int = FIRST_SPAN,
    all_matches: int = ALL_MATCHES,
) -> Sequence[Row[Any]]:
    """Return the page's rows (`columns`, then `score`: higher is better), best first.

    Ranked are the newest `window` matches among articles fetched at or before `now`. Runs in
    the connection's transaction, whose end undoes the planner settings.
    """
    query, top = (await conn.execute(_setup(parsed, now))).one()[-2:]
    if top is None:
        return []
    # A common word's share of articles sizes the first span to hold the window.
    density = _density(query, await _frequencies(conn))
    if density:
        first_span = max(first_span, int(window / density * HEADROOM))
    values: dict[str, object] = {"query": query, "limit": limit, "offset": offset}
    if feed_ids is not None:
        values["feed_ids"] = [int(i) for i in feed_ids]
    if density and density * density * top > WALK_COST * window:
        rows = await _walk(
            conn,
            step_statement(columns, feed_ids is not None, walk=True),
            {**values, "low": max(0, top - first_span), "top": top, "window": window, "few": -1},
        )
        if rows[0].found >= window or top <= first_span:
            return [row for row in rows if row.score is not None]
    statement = step_statement(columns, feed_ids is not None)
    # Few matches among the newest articles: all the older ones are cheap to read too.
    few = all_matches * first_span // top
    span = (max(0, top - first_span), top)
    rows = await _steps(conn, statement, values, span=span, window=window, few=few)
    return [row for row in rows if row.score is not None]

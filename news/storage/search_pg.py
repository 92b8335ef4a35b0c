"""PostgreSQL side of search: the tsquery built from parsed terms, and the newest-matches window.

One short transaction on the asyncpg connection itself (SQLAlchemy's per-statement work costs
about as much as a rare word's lookup): a first statement sets the planner up, turns the parsed
query into a tsquery and finds the newest article id; then one statement per step returns the
page of results, ranked within the window, with the articles' columns and the number of matches
found. The tsquery travels back as text, so each step is planned with the real query.

The window is found in at most three id ranges: the newest FIRST_SPAN articles (more for a
word ANALYZE saw in many articles, so that the span holds the window at once); then a range
sized by the match density seen there; then all. Each step is a bitmap AND of the GIN index
(tsv) and the primary-key range, so only matching rows of the range are read from the heap.
When the density seen promises few matches in all (ALL_MATCHES), the first statement reads
the older articles too, straight from the GIN index: rare words, phrases and most two-word
queries take one statement. Plain index scans are switched off: ordering by id DESC would let
the planner walk the primary key backwards testing every row's tsvector (17 s at 1,000,000
articles for a phrase of two common words, whose selectivity it cannot estimate). So is JIT
compilation (10-20 ms for these plans). Only the window's rows are ranked, and only the page's
rows are joined to their feeds. Measured at 1,000,000 articles: bench/results/search.md.
"""

from __future__ import annotations

import re
import time
import weakref
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol, cast

from news.storage.search_query import ParsedQuery, Term, tsquery_prefix

# The first step looks at this many of the newest articles; the match density found there
# sizes the second step (with this much headroom); a third step, if needed, looks at all.
FIRST_SPAN = 10_000
HEADROOM = 1.5
# A first step that projects at most this many matches in all articles reads them all at once:
# as cheap as a density-sized middle step, whose primary-key range would be large.
ALL_MATCHES = 2_000
# How long the lexeme frequencies ANALYZE keeps (pg_stats) are reused.
STATS_SECONDS = 600.0
# Exact (not lossy) bitmaps for a word in a fifth of a million articles.
WORK_MEM = "32MB"
# ts_rank_cd weights are {D, C, B, A}: text (C) 1, summary (B) 4, title (A) 10.
WEIGHTS = "{0.1, 0.1, 0.4, 1.0}"


class PgConnection(Protocol):
    """The part of asyncpg.Connection search uses (asyncpg ships no type hints)."""

    async def fetch(self, query: str, *args: object) -> list[Any]: ...

    def transaction(self) -> AbstractAsyncContextManager[Any]: ...


def tsquery_sql(parsed: ParsedQuery, args: list[object]) -> str:
    """Return SQL building the tsquery; appends its values to `args` ($1, $2, ...)."""

    def term(t: Term) -> str:
        if t.prefix:
            args.append(tsquery_prefix(t))
            return f"to_tsquery('newsbot', ${len(args)})"
        args.append(t.text)
        # phraseto_tsquery runs the index's own parser on the words and never raises.
        return f"phraseto_tsquery('newsbot', ${len(args)})"

    def combine(function: str, parts: list[str]) -> str:
        expression = parts[0]
        for part in parts[1:]:
            expression = f"{function}({expression}, {part})"
        return expression

    groups = [combine("tsquery_or", [term(t) for t in group]) for group in parsed.groups]
    query = combine("tsquery_and", groups)
    for excluded in parsed.excluded:
        query = f"tsquery_and({query}, tsquery_not({term(excluded)}))"
    return query


def _setup_sql(tsquery: str, now_arg: int | None) -> str:
    # Only bitmap plans: GIN AND primary-key range. A plain index scan would test the
    # tsvector of every row in the range (or walk the whole table backwards for ORDER BY id).
    # A generic plan could not see how common the words are: plan each statement afresh.
    # The settings apply from the next statement on; this one is planned as usual.
    newest = (
        "(SELECT max(id) FROM articles)"
        if now_arg is None
        else f"(SELECT id FROM articles WHERE fetched_at <= ${now_arg}"  # noqa: S608
        " ORDER BY fetched_at DESC, id DESC LIMIT 1)"
    )
    # JIT compiling pays off only for long queries; the cost of the older-articles branch,
    # planned even when it does not run, would cross jit_above_cost and add 10-20 ms.
    return f"""SELECT set_config('enable_indexscan', 'off', true),
    set_config('work_mem', '{WORK_MEM}', true), set_config('jit', 'off', true),
    set_config('plan_cache_mode', 'force_custom_plan', true),
    ({tsquery})::text, {newest}"""


def page_sql(columns: str, feed_filter: bool) -> str:
    """Return one step: $1 tsquery text, ids in ($2, $3], $4 window, $5 limit, $6 offset.

    When the range ($2, $3] holds at most $7 matches, the older articles (ids up to $2) are
    searched in the same statement. `columns` are of articles `a` and feeds `f`; rows start
    with the matches found in the range and in the whole window.
    """
    feeds = " AND feed_id = ANY($8::int[])" if feed_filter else ""
    return f"""WITH recent AS MATERIALIZED (
    SELECT id, tsv FROM articles
    WHERE tsv @@ $1::text::tsquery AND id > $2 AND id <= $3{feeds}
    ORDER BY id + 0 DESC LIMIT $4),
older AS MATERIALIZED (
    SELECT id, tsv FROM articles
    WHERE (SELECT count(*) FROM recent) <= $7 AND tsv @@ $1::text::tsquery AND id <= $2{feeds}
    ORDER BY id + 0 DESC LIMIT $4),
w AS MATERIALIZED (SELECT id, tsv FROM recent UNION ALL SELECT id, tsv FROM older LIMIT $4),
page AS (
    SELECT id, ts_rank_cd('{WEIGHTS}', tsv, $1::text::tsquery) AS score FROM w
    ORDER BY score DESC, id DESC LIMIT $5 OFFSET $6)
SELECT n.near, n.found, {columns}, page.score
FROM (SELECT (SELECT count(*) FROM recent) AS near, (SELECT count(*) FROM w) AS found) n
LEFT JOIN (page JOIN articles a ON a.id = page.id JOIN feeds f ON f.id = a.feed_id) ON true
ORDER BY page.score DESC, page.id DESC"""  # noqa: S608 - fixed fragments and placeholders only


def _next_span(found: int, span: int, window: int) -> int | None:
    """Return the span that should hold `window` matches at the density seen, or None (all)."""
    if found == 0:
        return None
    return int(span * window / found * HEADROOM)


_STATS_SQL = """SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats
WHERE schemaname = current_schema() AND tablename = 'articles' AND attname = 'tsv'"""
_WORDS_ONLY = re.compile(r"'(?:[^']|'')+'(?: \| '(?:[^']|'')+')*")
_LEXEME = re.compile(r"'((?:[^']|'')+)'")
_stats: weakref.WeakKeyDictionary[PgConnection, tuple[float, dict[str, float]]]
_stats = weakref.WeakKeyDictionary()


async def _frequencies(conn: PgConnection) -> dict[str, float]:
    """Return the share of articles holding each common lexeme (ANALYZE's sample), cached."""
    cached = _stats.get(conn)
    if cached is not None and time.monotonic() - cached[0] < STATS_SECONDS:
        return cached[1]
    rows = await conn.fetch(_STATS_SQL)
    if not rows or not rows[0][0]:
        return {}  # not analyzed yet: ask again next time
    frequencies = dict(zip(rows[0][0], rows[0][1], strict=False))
    _stats[conn] = (time.monotonic(), frequencies)
    return frequencies


def _density(tsquery: str, frequencies: dict[str, float]) -> float | None:
    """Return the share of articles a word (or an OR of words) is in, if ANALYZE listed them."""
    if not _WORDS_ONLY.fullmatch(tsquery):
        return None  # phrases, ANDs and NOTs are rarer than their words: no estimate
    shares = [frequencies.get(lexeme.replace("''", "'")) for lexeme in _LEXEME.findall(tsquery)]
    if not shares or None in shares:
        return None  # a word not listed is rare enough for the first span
    return min(1.0, sum(s for s in shares if s is not None))


async def _steps(
    conn: PgConnection, sql: str, step: list[object], top: int, window: int
) -> list[Sequence[Any]]:
    """Return the rows of the step that filled the window or reached the oldest article."""
    for attempt in range(3):
        rows = await conn.fetch(sql, *step)
        near, found, low = rows[0][0], rows[0][1], cast(int, step[1])
        if found >= window or low == 0 or near <= cast(int, step[6]):
            return rows
        span = _next_span(near, top - low, window) if attempt == 0 else None
        step[1] = 0 if span is None else max(0, top - span)
        step[6] = -1
    return rows


async def page(
    conn: PgConnection,
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
) -> list[Sequence[Any]]:
    """Return the page's rows (`columns`, then the score: higher is better), best first.

    Ranked are the newest `window` matches among articles fetched at or before `now`.
    """
    args: list[object] = []
    tsquery = tsquery_sql(parsed, args)
    if now is not None:
        args.append(now)
    async with conn.transaction():
        setup_sql = _setup_sql(tsquery, len(args) if now is not None else None)
        query, top = (await conn.fetch(setup_sql, *args))[0][4:6]
        if top is None:
            return []
        # A common word's share of articles sizes the first span to hold the window.
        density = _density(query, await _frequencies(conn))
        if density:
            first_span = max(first_span, int(window / density * HEADROOM))
        # Few matches among the newest articles: all the older ones are cheap to read too.
        step = [query, max(0, top - first_span), top, window, limit, offset]
        step.append(all_matches * first_span // top)
        if feed_ids is not None:
            step.append(list(feed_ids))
        rows = await _steps(conn, page_sql(columns, feed_ids is not None), step, top, window)
    return [row[2:] for row in rows if row[2] is not None]

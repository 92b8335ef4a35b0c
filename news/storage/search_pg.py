"""PostgreSQL side of search: the tsquery built from parsed terms, and the newest-matches window.

The window is found in at most three id ranges: the newest FIRST_SPAN articles; then a range
sized by the match density seen there; then all. Each step is a bitmap AND of the GIN index
(tsv) and the primary-key range, so only matching rows of the range are read from the heap.
Plain index scans are switched off for these statements: ordering by id DESC would let the
planner walk the primary key backwards testing every row's tsvector (cheap for a word in
every tenth article, seconds for a phrase of two common words, whose selectivity it cannot
estimate). A rare query ends up in the last, unbounded step, where its few matches come
straight from the GIN index. Measured at 1,000,000 articles: bench/results/search.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from news.storage.search_query import ParsedQuery, Term, tsquery_prefix

# The first step looks at this many of the newest articles; the match density found there
# sizes the second step (with this much headroom); a third step, if needed, looks at all.
FIRST_SPAN = 10_000
HEADROOM = 1.5
# Exact (not lossy) bitmaps for a word in a fifth of a million articles.
WORK_MEM = "32MB"


def _term(term: Term, name: str, params: dict[str, object]) -> str:
    if term.prefix:
        params[name] = tsquery_prefix(term)
        return f"to_tsquery('newsbot', :{name})"
    params[name] = term.text
    # phraseto_tsquery runs the index's own parser on the words and never raises.
    return f"phraseto_tsquery('newsbot', :{name})"


def tsquery_sql(parsed: ParsedQuery, params: dict[str, object]) -> str:
    """Return SQL building the tsquery from bound parameters (tsquery_and/or/not nest)."""
    counter = iter(range(10_000))

    def term(t: Term) -> str:
        return _term(t, f"t{next(counter)}", params)

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


def _next_span(found: int, span: int, window: int) -> int | None:
    """Return the span that should hold `window` matches at the density seen, or None (all)."""
    if found == 0:
        return None
    return int(span * window / found * HEADROOM)


async def newest_matches(
    conn: AsyncConnection,
    tsquery: str,
    params: dict[str, object],
    *,
    window: int,
    feed_ids: Sequence[int] | None,
    max_id: int | None,
    first_span: int = FIRST_SPAN,
) -> list[int]:
    """Return the ids of the newest `window` matches (at most `max_id`), newest first."""
    # Only bitmap plans: GIN AND primary-key range. A plain index scan would test the
    # tsvector of every row in the range (or walk the whole table backwards for ORDER BY id).
    # A generic plan could not see how common the words are: plan each statement afresh.
    settings = text(
        "SELECT set_config('enable_indexscan', 'off', true),"
        " set_config('work_mem', :work_mem, true),"
        " set_config('plan_cache_mode', 'force_custom_plan', true),"
        " (SELECT max(id) FROM articles)"
    )
    newest = (await conn.execute(settings, {"work_mem": WORK_MEM})).one()[3]
    top = max_id if max_id is not None else newest or 0
    where = " AND feed_id IN :feed_ids" if feed_ids is not None else ""
    stmt = text(
        f"SELECT id FROM articles WHERE tsv @@ {tsquery}{where}"  # noqa: S608 - fixed fragments
        " AND id > :low AND id <= :high ORDER BY id + 0 DESC LIMIT :window"
    )
    if feed_ids is not None:
        stmt = stmt.bindparams(bindparam("feed_ids", expanding=True))
        params = {**params, "feed_ids": list(feed_ids)}
    span: int | None = first_span
    for step in range(3):
        low = 0 if span is None else max(0, top - span)
        rows = await conn.execute(stmt, {**params, "low": low, "high": top, "window": window})
        found = [row.id for row in rows]
        if len(found) >= window or low == 0:
            break
        span = _next_span(len(found), top - low, window) if step == 0 else None
    return found


def ranked_sql(tsquery: str, columns: str) -> str:
    """Return the query that ranks the window's ids and fetches the page of results."""
    # ts_rank_cd weights are {D, C, B, A}: text (C) 1, summary (B) 4, title (A) 10.
    return f"""WITH hits AS (
    SELECT id, ts_rank_cd('{{0.1, 0.1, 0.4, 1.0}}', tsv, {tsquery}) AS score
    FROM articles WHERE id IN :ids)
SELECT {columns}
FROM hits JOIN articles a ON a.id = hits.id JOIN feeds f ON f.id = a.feed_id
ORDER BY hits.score DESC, hits.id DESC LIMIT :limit OFFSET :offset"""  # noqa: S608

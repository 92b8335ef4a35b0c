"""Searching the archive, as /search and `newsbot search` do: parse, find, add snippets.

The query language is news.query; the statements are news.storage.search; snippets are built
in Python from the rows found (news.snippets), identically on both backends.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from news.models import Article, ParsedQuery, SearchHit, SearchPage
from news.query import parse_query
from news.snippets import MARK_END, MARK_START, Matcher, excerpt, matcher, words
from news.storage.db import Store
from news.storage.search import MAX_LIMIT, find

__all__ = ["MARK_END", "MARK_START", "PER_PAGE", "search", "search_page"]

log = logging.getLogger(__name__)

PER_PAGE = 5  # results on a page of /search


def _matcher(parsed: ParsedQuery) -> Matcher:
    plain: list[str] = []
    prefixes: list[str] = []
    for term in parsed.terms:
        if term.prefix:
            prefixes.append(term.text)
        else:
            plain += words(term.text)
    return matcher(tuple(plain), tuple(prefixes))


def _hits(parsed: ParsedQuery, found: Sequence[tuple[Article, float]]) -> list[SearchHit]:
    marks = _matcher(parsed)
    hits = [SearchHit(a, excerpt(a.summary, a.text, marks), rank) for a, rank in found]
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
    parsed = parse_query(query)
    found = await find(store, parsed, limit=limit, offset=offset, feed_ids=feed_ids, now=now)
    return _hits(parsed, found)


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

    One row more than the page is read to know whether it is the last; only the page's rows
    get snippets.
    """
    parsed = parse_query(query)
    per_page = max(1, min(per_page, MAX_LIMIT - 1))
    offset = (max(1, page) - 1) * per_page
    found = await find(
        store, parsed, limit=per_page + 1, offset=offset, feed_ids=feed_ids, now=now
    )
    return SearchPage(_hits(parsed, found[:per_page]), has_more=len(found) > per_page)

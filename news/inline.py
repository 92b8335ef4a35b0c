"""Inline mode (`@bot words` in any chat): the articles to offer, as search finds them.

An empty query offers the latest stories of the user's digest: their sources, their filters,
the last INITIAL_WINDOW. A user who never started the bot gets the latest of all sources.
"""

from __future__ import annotations

from datetime import datetime

from news.filters import filters_of
from news.models import Article
from news.search import MARK_END, MARK_START, search
from news.storage.articles import articles_between
from news.storage.db import Store
from news.storage.subscriptions import get_subscription
from news.subscriptions import INITIAL_WINDOW
from news.text import first_words

RESULTS = 10
_NO_MARKS = str.maketrans("", "", MARK_START + MARK_END)


async def inline_articles(
    store: Store, user_id: int, query: str, *, now: datetime, limit: int = RESULTS
) -> list[tuple[Article, str]]:
    """Return (article, one-line description) per result, best first; raises QueryError."""
    if query.strip():
        hits = await search(store, query, limit=limit, now=now)
        return [(hit.article, hit.snippet.translate(_NO_MARKS)) for hit in hits]
    sub = await get_subscription(store, user_id)
    feed_ids = sub.feed_ids if sub is not None and sub.active else None
    found = await articles_between(
        store, since=now - INITIAL_WINDOW, until=now, feed_ids=feed_ids, limit=limit * 3
    )
    chat_filters = (await filters_of(store, [user_id])).get(user_id)
    if chat_filters:
        found = [article for article in found if chat_filters.keeps(article)]
    return [(a, _description(a)) for a in found[:limit]]


def _description(article: Article) -> str:
    return first_words(article.summary or article.text, words=24, max_chars=None)

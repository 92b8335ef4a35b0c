"""Filters per chat: queries in the search language every story of the chat's digests must match.

`/filter -sport` drops stories about sport, `/filter climate OR energy` keeps only those, and
`/filter SOURCE_ID Q` applies Q to one source. Filters apply to digests (scheduled and
/digest) and alerts, never to search. They are checked with news.percolate's matcher, which
finds what the database's search would find.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from news import words
from news.errors import QueryError
from news.models import Article, ParsedQuery, SavedQuery
from news.percolate import CompiledQuery, Document, compile_query, document, stemmer_for
from news.query import parse_query
from news.storage import feeds as feed_store
from news.storage import filters as filter_store
from news.storage.db import Store

MAX_FILTERS = 20


def parse_saved(text: str, *, only_excluded: bool = False) -> ParsedQuery:
    """Return a filter's or alert's parsed query; raises QueryError saying what is wrong."""
    if len(text) > words.MAX_SAVED_CHARS:
        raise QueryError(words.QUERY_TOO_LONG)
    return parse_query(text, only_excluded=only_excluded)


async def _source_and_query(store: Store, text: str) -> tuple[int | None, str]:
    """Return (the source a filter names first, if it is one, and the query)."""
    first, _, rest = text.strip().partition(" ")
    if first.isdigit() and rest.strip() and await feed_store.get_feed(store, int(first)):
        return int(first), rest.strip()
    return None, text.strip()


async def add_filter(store: Store, chat_id: int, text: str, *, now: datetime) -> SavedQuery:
    """Return the chat's new filter; raises QueryError (shown to the user) if it is refused."""
    feed_id, query = await _source_and_query(store, text)
    parse_saved(query, only_excluded=True)
    if await filter_store.count_filters(store, chat_id) >= MAX_FILTERS:
        raise QueryError(words.too_many("filters", MAX_FILTERS))
    saved = await filter_store.add_filter(store, chat_id, query, feed_id=feed_id, now=now)
    if saved is None:
        raise QueryError(words.FILTER_EXISTS)
    return saved


async def listed_filters(store: Store, chat_id: int) -> list[tuple[SavedQuery, str | None]]:
    """Return the chat's filters, oldest first, each with the name of the source it is for."""
    saved = (await filter_store.chat_filters_of(store, [chat_id])).get(chat_id, [])
    if not any(f.feed_id for f in saved):
        return [(f, None) for f in saved]
    names = {feed.id: feed.title or feed.url for feed in await feed_store.list_feeds(store)}
    return [(f, names.get(f.feed_id) if f.feed_id else None) for f in saved]


async def remove_filter(store: Store, chat_id: int, filter_id: int) -> bool:
    """Remove the chat's filter; return whether it had it (another chat's stays)."""
    return await filter_store.remove_filter(store, chat_id, filter_id)


class ChatFilters:
    """A chat's filters, compiled once; keeps() tells whether a story passes them all."""

    def __init__(self, filters: Iterable[SavedQuery], stemmer: int) -> None:
        self.stemmer = stemmer
        self.key = tuple((f.feed_id, f.query) for f in filters)  # equal keys: equal filters
        self._queries: list[tuple[int | None, CompiledQuery]] = [
            (feed_id, compile_query(parse_query(query, only_excluded=True), stemmer))
            for feed_id, query in self.key
        ]

    def __bool__(self) -> bool:
        return bool(self._queries)

    def keeps(self, article: Article, doc: Document | None = None) -> bool:
        """Return whether the article passes every filter of its source and of all sources."""
        if doc is None:
            doc = article_document(article, self.stemmer)
        return all(
            query.matches(doc)
            for feed_id, query in self._queries
            if feed_id is None or feed_id == article.feed_id
        )


def article_document(article: Article, stemmer: int) -> Document:
    """Return the article as the matcher sees it (title, summary, text: what search indexes)."""
    return document(stemmer, article.title, article.summary, article.text)


def kept_and_held(
    articles: Sequence[Article], filters: ChatFilters, docs: dict[int, Document]
) -> tuple[list[Article], int]:
    """Return the articles the filters keep, and how many they held back.

    `docs` caches each article's Document between the chats of one run.
    """
    kept: list[Article] = []
    for article in articles:
        doc = docs.get(article.id)
        if doc is None:
            doc = docs[article.id] = article_document(article, filters.stemmer)
        if filters.keeps(article, doc):
            kept.append(article)
    return kept, len(articles) - len(kept)


async def filters_of(store: Store, chat_ids: Sequence[int]) -> dict[int, ChatFilters]:
    """Return the filters of each chat that has any."""
    stemmer = stemmer_for(store.is_sqlite)
    saved = await filter_store.chat_filters_of(store, chat_ids)
    return {chat_id: ChatFilters(filters, stemmer) for chat_id, filters in saved.items()}

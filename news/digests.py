"""Digests as a user gets them: the one pipeline behind the planner, /digest and `newsbot digest`.

Window. A digest covers the articles that arrived since the subscriber's last digest, up to the
caller's `until`; a chat without an earlier digest (or not subscribed) looks back one day
(INITIAL_WINDOW). news.digest says what "arrived" means and how the window's articles become
stories; this module reads them from the store and applies that rule once for every caller.

Archive. What counts as new is what arrived since the last digest, but a feed's first poll (or
a publisher dumping its archive) can bring thousands of items dated long before. An item is
*old* when it arrived in the window but is dated (articles.sort_at: published_at, never later
than fetched_at) at or before the window's start, i.e. before the subscriber's previous digest.
Each source keeps its newest ARCHIVE_PER_SOURCE old items as ordinary candidates (an item that
arrived a little late, or a new feed's latest few, still shows); the rest are counted, not
shown, and the digest says so in one line per source ("and 9,990 older items from SOURCE are in
/search"). They are not carried over either: the next window starts where this one ended, after
their fetched_at. Undated items count as dated when fetched, so they are never old.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Generic, TypeVar

from news.digest import StoryGraph, StoryKeys, build_digest
from news.filters import ChatFilters, filters_of, kept_and_held
from news.models import Article, Digest, Subscription
from news.percolate import Document
from news.storage.articles import WindowPool, window_candidates, window_pool
from news.storage.db import Store
from news.storage.sources import default_feed_ids, source_ids
from news.storage.subscriptions import mark_digest_sent
from news.subscriptions import INITIAL_WINDOW

# How many articles of a window a digest chooses from; the digest caps what it shows.
WINDOW_ARTICLES = 200
# Old items each source may still show in a digest (see Archive above).
ARCHIVE_PER_SOURCE = 10
# Distinct windows kept per run; beyond that the least recently used are dropped.
CACHE_SIZE = 512

K = TypeVar("K")
V = TypeVar("V")
# A window's candidate articles, and per feed id how many old ones were left out.
_Window = tuple[list[Article], dict[int, int]]


class LRU(Generic[K, V]):
    """A small memo of async results, bounded so a run with many distinct windows stays small."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self.items: OrderedDict[K, V] = OrderedDict()

    async def get(self, key: K, make: Callable[[], Awaitable[V]]) -> V:
        """Return the value for `key`, made (and remembered) on first use."""
        if key in self.items:
            self.items.move_to_end(key)
            return self.items[key]
        value = await make()
        self.items[key] = value
        if len(self.items) > self.size:
            self.items.popitem(last=False)
        return value


def _newest_first(article: Article) -> tuple[float, int]:
    return -article.fetched_at.timestamp(), -article.id


def window_start(sub: Subscription | None, until: datetime) -> datetime:
    """Return where a digest window opens: the subscriber's last digest, else a day back."""
    if sub is not None and sub.active and sub.last_digest_at is not None:
        return sub.last_digest_at
    return until - INITIAL_WINDOW


class Digests:
    """Makes digests from one store, sharing window queries and story keys between calls.

    One instance lives as long as one planning run or one command, so nothing accumulates in a
    long-running process.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.queries = 0  # window queries run (the rest came from the cache)
        self._pools: LRU[tuple[datetime, datetime], tuple[WindowPool, StoryGraph]] = LRU(size=4)
        self._windows: LRU[tuple[datetime, datetime, tuple[int, ...] | None], _Window]
        self._windows = LRU()
        self._keys = StoryKeys()
        self._docs: dict[int, Document] = {}  # articles as the filters' matcher sees them

    async def make(
        self,
        *,
        since: datetime,
        until: datetime,
        feed_ids: Sequence[int] | None,
        limit: int,
        filters: ChatFilters | None = None,
        pooled: bool = False,
    ) -> Digest:
        """Return the digest of the articles that arrived in (since, until], `limit` at most.

        The chat's `filters` hold stories back; the digest counts them (Digest.filtered).
        `pooled`: many chats with feeds of their own share this window, so it is read once for
        every feed (WindowPool) and each chat's candidates are picked from it.
        """
        if since >= until:
            return Digest(since=since, until=until, items=[])
        ids = tuple(feed_ids) if feed_ids is not None else None
        graph = None
        if pooled and ids is not None:
            _, graph = await self._pools.get((since, until), lambda: self._pool(since, until))
            make = lambda: self._picked(since, until, ids)  # noqa: E731
        else:
            make = lambda: self._articles(since, until, ids)  # noqa: E731
        found, older = await self._windows.get((since, until, ids), make)
        held = 0
        if filters:
            in_window = [a for a in found if since < a.fetched_at <= until]
            found, held = kept_and_held(in_window, filters, self._docs)
        digest = build_digest(
            found, since=since, until=until, limit=limit, keys=self._keys, older=older, graph=graph
        )
        return replace(digest, filtered=held) if held else digest

    async def _picked(
        self, since: datetime, until: datetime, feed_ids: tuple[int, ...]
    ) -> _Window:
        """Return what window_candidates would for these feeds, picked from the window's pool."""
        pool, _ = await self._pools.get((since, until), lambda: self._pool(since, until))
        mine = [a for f in feed_ids for a in pool.recent.get(f, ())]
        if len(mine) > WINDOW_ARTICLES:
            mine.sort(key=_newest_first)
            del mine[WINDOW_ARTICLES:]
        found = mine
        older: dict[int, int] = {}
        for feed_id in feed_ids:
            kept, left = pool.older.get(feed_id, ([], 0))
            found.extend(kept)
            if left:
                older[feed_id] = left
        return found, older

    async def _pool(self, since: datetime, until: datetime) -> tuple[WindowPool, StoryGraph]:
        self.queries += 1
        pool = await window_pool(
            self.store,
            since=since,
            until=until,
            dated_after=since,
            per_feed=WINDOW_ARTICLES,
            per_feed_old=ARCHIVE_PER_SOURCE,
        )
        everything = [a for found in pool.recent.values() for a in found]
        everything += [a for kept, _ in pool.older.values() for a in kept]
        return pool, StoryGraph(everything, self._keys)

    async def _articles(
        self, since: datetime, until: datetime, feed_ids: tuple[int, ...] | None
    ) -> _Window:
        self.queries += 1
        return await window_candidates(
            self.store,
            since=since,
            until=until,
            feed_ids=feed_ids,
            limit=WINDOW_ARTICLES,
            dated_after=since,
            per_feed=ARCHIVE_PER_SOURCE,
        )


async def latest_digest(
    store: Store, sub: Subscription | None, *, now: datetime, limit: int, chat_id: int = 0
) -> Digest:
    """Return the chat's digest right now; a private subscriber's then counts as sent.

    In a group one member asking must not empty the digest everybody else is scheduled to get.
    """
    if sub is not None:
        feed_ids = sub.feeds_at(now)
    else:  # not subscribed: the chat's own sources and the default ones
        async with store.connect() as conn:
            feed_ids = (*await default_feed_ids(conn), *await source_ids(conn, chat_id))
    since = window_start(sub, now)
    filters = None if sub is None else (await filters_of(store, [sub.chat_id])).get(sub.chat_id)
    digest = await Digests(store).make(
        since=since, until=now, feed_ids=feed_ids, limit=limit, filters=filters
    )
    if not digest.empty and sub is not None and sub.active and sub.chat_type == "private":
        await mark_digest_sent(store, sub.chat_id, until=now, now=now)
    return digest

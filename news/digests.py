"""Digests as a user gets them: the one pipeline behind the planner, /digest and `newsbot digest`.

Window. A digest covers the articles that arrived since the subscriber's last digest, up to the
caller's `until`; a chat without an earlier digest (or not subscribed) looks back one day
(INITIAL_WINDOW). news.digest says what "arrived" means and how the window's articles become
stories; this module reads them from the store and applies that rule once for every caller.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Generic, TypeVar

from news.digest import StoryKeys, build_digest
from news.models import Article, Digest, Subscription
from news.storage.articles import articles_between
from news.storage.db import Store
from news.storage.subscriptions import INITIAL_WINDOW, mark_digest_sent

# How many articles of a window a digest chooses from; the digest caps what it shows.
WINDOW_ARTICLES = 200
# Distinct windows kept per run; beyond that the least recently used are dropped.
CACHE_SIZE = 512

K = TypeVar("K")
V = TypeVar("V")


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
        self._windows: LRU[tuple[datetime, datetime, tuple[int, ...] | None], list[Article]]
        self._windows = LRU()
        self._keys = StoryKeys()

    async def make(
        self, *, since: datetime, until: datetime, feed_ids: Sequence[int] | None, limit: int
    ) -> Digest:
        """Return the digest of the articles that arrived in (since, until], `limit` at most."""
        if since >= until:
            return Digest(since=since, until=until, items=[])
        ids = tuple(feed_ids) if feed_ids is not None else None
        found = await self._windows.get(
            (since, until, ids), lambda: self._articles(since, until, ids)
        )
        return build_digest(found, since=since, until=until, limit=limit, keys=self._keys)

    async def _articles(
        self, since: datetime, until: datetime, feed_ids: tuple[int, ...] | None
    ) -> list[Article]:
        self.queries += 1
        return await articles_between(
            self.store, since=since, until=until, feed_ids=feed_ids, limit=WINDOW_ARTICLES
        )


async def latest_digest(
    store: Store, sub: Subscription | None, *, now: datetime, limit: int
) -> Digest:
    """Return the chat's digest right now; a private subscriber's then counts as sent.

    In a group one member asking must not empty the digest everybody else is scheduled to get.
    """
    feed_ids = sub.feed_ids if sub is not None else None
    since = window_start(sub, now)
    digest = await Digests(store).make(since=since, until=now, feed_ids=feed_ids, limit=limit)
    if not digest.empty and sub is not None and sub.active and sub.chat_type == "private":
        await mark_digest_sent(store, sub.chat_id, until=now, now=now)
    return digest

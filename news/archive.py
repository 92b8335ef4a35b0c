"""A chat's archive: its digests day by day, and its articles by id, never another chat's.

What a chat may read is what its digests read: its sources (muted ones included: muting only
keeps them out of the next digest), or, for a chat that never subscribed, the operator's
default feeds and its own, as /digest gives it. A day is a calendar day in the chat's time
zone; its digest is the one news.digests makes of the articles that arrived that day, with the
chat's filters, so the web app, /digest and the scheduled digests pick stories the same way.
"""

from __future__ import annotations

import time as clock
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from news.digest_times import zone
from news.digests import Digests
from news.filters import ChatFilters, filters_of
from news.models import Article, Digest, Subscription
from news.storage.articles import get_article
from news.storage.db import Store
from news.storage.sources import default_feed_ids, source_ids
from news.storage.subscriptions import get_subscription

ARCHIVE_DAYS = 14  # days the archive lists, today included
DAY_STORIES = 30  # stories at most on one day's page


@dataclass(frozen=True, slots=True)
class ChatView:
    """What one chat reads: its subscription (None: never subscribed), feeds and time zone."""

    chat_id: int
    subscription: Subscription | None
    feed_ids: tuple[int, ...]
    timezone: str
    filters: ChatFilters | None = None

    def reads(self, feed_id: int) -> bool:
        """Return whether the chat reads this feed."""
        return feed_id in self.feed_ids


async def chat_view(store: Store, chat_id: int, *, default_timezone: str = "UTC") -> ChatView:
    """Return what `chat_id` reads."""
    sub = await get_subscription(store, chat_id)
    if sub is not None and sub.feed_ids is not None:
        feed_ids = tuple(sub.feed_ids)
    else:
        async with store.connect() as conn:
            feed_ids = (*await default_feed_ids(conn), *await source_ids(conn, chat_id))
    tz = sub.timezone if sub is not None else default_timezone
    filters = (await filters_of(store, [chat_id])).get(chat_id)
    return ChatView(chat_id, sub, tuple(dict.fromkeys(feed_ids)), tz, filters)


def local_day(at: datetime, tz: str) -> date:
    """Return the calendar day `at` falls on in time zone `tz`."""
    return at.astimezone(zone(tz)).date()


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """Return the UTC instants where `day` starts and ends in time zone `tz`."""
    zone_info = zone(tz)
    start = datetime.combine(day, time(0), tzinfo=zone_info)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone_info)
    return start.astimezone(UTC), end.astimezone(UTC)


def archive_days(view: ChatView, *, now: datetime, days: int = ARCHIVE_DAYS) -> list[date]:
    """Return the days the archive lists, newest first (today, yesterday, ...)."""
    today = local_day(now, view.timezone)
    return [today - timedelta(days=n) for n in range(days)]


async def day_digest(
    store: Store, view: ChatView, day: date, *, now: datetime, limit: int = DAY_STORIES
) -> Digest:
    """Return the digest of what arrived on `day` (up to `now`) from the chat's feeds.

    Reading it changes nothing: unlike /digest it does not count as a digest sent.
    """
    since, until = day_bounds(day, view.timezone)
    until = min(until, now)
    if not view.feed_ids or since >= until:
        return Digest(since=since, until=max(since, until), items=[])
    return await Digests(store).make(
        since=since, until=until, feed_ids=view.feed_ids, limit=limit, filters=view.filters
    )


class DayDigests:
    """Day digests, remembered a while: a page of the archive costs its digest once.

    A past day is all but settled (its articles arrived that day; only a late summary or a
    removed feed still changes it), so it is kept `past_seconds`; today's grows, and is kept
    `today_seconds`. Chats that read the same feeds with the same filters share one entry.
    """

    def __init__(
        self,
        store: Store,
        *,
        size: int = 2048,
        past_seconds: float = 600,
        today_seconds: float = 30,
    ) -> None:
        self.store, self.size = store, size
        self.past_seconds, self.today_seconds = past_seconds, today_seconds
        self._items: OrderedDict[tuple[object, ...], tuple[float, Digest]] = OrderedDict()
        self.made = 0  # digests made (the rest came from memory)

    async def get(self, view: ChatView, day: date, *, now: datetime) -> Digest:
        """Return the day's digest for the chat, as day_digest makes it."""
        today = day >= local_day(now, view.timezone)
        key = (view.feed_ids, view.timezone, view.filters and view.filters.key, day)
        ttl = self.today_seconds if today else self.past_seconds
        found = self._items.get(key)
        at = clock.monotonic()
        if found is not None and at - found[0] < ttl:
            self._items.move_to_end(key)
            return found[1]
        digest = await day_digest(self.store, view, day, now=now)
        self.made += 1
        self._items[key] = (at, digest)
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return digest


async def chat_article(store: Store, view: ChatView, article_id: int) -> Article | None:
    """Return the article if it is one of the chat's feeds', else None (as if it did not exist)."""
    article = await get_article(store, article_id)
    if article is None or not view.reads(article.feed_id):
        return None
    return article

"""A chat's archive: its digests day by day, and its articles by id, never another chat's.

What a chat may read is what its digests read: its sources (muted ones included: muting only
keeps them out of the next digest), or, for a chat that never subscribed, the operator's
default feeds and its own, as /digest gives it. A day is a calendar day in the chat's time
zone; its digest is the one news.digests makes of the articles that arrived that day, with the
chat's filters, so the web app, /digest and the scheduled digests pick stories the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from news.digest_times import zone
from news.digests import Digests
from news.filters import filters_of
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
    return ChatView(chat_id, sub, tuple(dict.fromkeys(feed_ids)), tz)


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
    filters = (await filters_of(store, [view.chat_id])).get(view.chat_id)
    return await Digests(store).make(
        since=since, until=until, feed_ids=view.feed_ids, limit=limit, filters=filters
    )


async def chat_article(store: Store, view: ChatView, article_id: int) -> Article | None:
    """Return the article if it is one of the chat's feeds', else None (as if it did not exist)."""
    article = await get_article(store, article_id)
    if article is None or not view.reads(article.feed_id):
        return None
    return article

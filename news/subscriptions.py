"""Subscribing, unsubscribing and changing a chat's digest settings: the rules, then one write.

Every value a chat chooses is checked here (ValueError with a message for the user) and the
next digest time computed here; news/storage/subscriptions.py only reads and writes rows.

Window: a digest covers the articles since `last_digest_at`. A chat that subscribes (or comes
back) starts with a window of at most the last 24 hours, so its first digest is neither empty
nor a month of backlog.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from types import EllipsisType

from sqlalchemy.ext.asyncio import AsyncConnection

from news import words
from news.digest_times import FREQUENCIES, format_time, next_digest_at, parse_time, zone
from news.models import Subscription
from news.storage import sources, subscriptions
from news.storage.db import Store

INITIAL_WINDOW = timedelta(hours=24)
MAX_ARTICLES = 50
MAX_DIGEST_TIMES = 2


def clean_times(digest_times: Sequence[time | str]) -> list[time]:
    """Return the distinct digest times, in order; ValueError unless there are one or two."""
    times = list(dict.fromkeys(parse_time(value) for value in digest_times))
    if not times:
        raise ValueError(words.NO_DIGEST_TIME)
    if len(times) > MAX_DIGEST_TIMES:
        raise ValueError(words.too_many_times(MAX_DIGEST_TIMES))
    return times


def check_max_articles(max_articles: int) -> int:
    """Return `max_articles`; ValueError unless it is between 1 and MAX_ARTICLES."""
    if not 1 <= max_articles <= MAX_ARTICLES:
        raise ValueError(words.articles_out_of_range(MAX_ARTICLES))
    return max_articles


def check_frequency(frequency: str) -> str:
    """Return `frequency`; ValueError unless it is one of FREQUENCIES."""
    if frequency not in FREQUENCIES:
        raise ValueError(words.unknown_frequency(FREQUENCIES))
    return frequency


def next_digest(sub: Subscription, *, after: datetime) -> datetime | None:
    """Return when the subscription's next digest is due after `after` (None: frequency off)."""
    return next_digest_at(
        after=after, digest_times=sub.digest_times, timezone=sub.timezone, frequency=sub.frequency
    )


async def subscribe(
    store: Store,
    chat_id: int,
    *,
    chat_type: str,
    title: str | None,
    digest_times: Sequence[time],
    timezone: str,
    max_articles: int,
    now: datetime,
    thread_id: int | None = None,
) -> tuple[Subscription, bool]:
    """Return the chat's active subscription and whether it was (re)activated just now.

    New chats get the given defaults (two times mean "twice" a day, one "daily"); a chat that
    comes back keeps its old settings. More than two default times keep the first two.
    `thread_id`: the forum topic it was sent in, where the digests go from now on (subscribing
    again in another topic moves them).
    """
    unique = list(dict.fromkeys(parse_time(t) for t in digest_times))
    times = tuple(format_time(t) for t in clean_times(unique[:MAX_DIGEST_TIMES]))
    zone(timezone)
    frequency = "twice" if len(times) == MAX_DIGEST_TIMES else "daily"
    first = next_digest_at(after=now, digest_times=times, timezone=timezone, frequency=frequency)
    async with store.begin() as conn:
        changed = await subscriptions.insert(
            conn,
            chat_id=chat_id,
            chat_type=chat_type,
            title=title,
            digest_times=times,
            timezone=timezone,
            frequency=frequency,
            max_articles=check_max_articles(max_articles),
            last_digest_at=now - INITIAL_WINDOW,
            next_digest_at=first,
            now=now,
            thread_id=thread_id,
        )
        if not changed:
            changed = await _come_back(
                conn, chat_id, chat_type=chat_type, title=title, now=now, thread_id=thread_id
            )
        sub = await subscriptions.read(conn, chat_id)
    assert sub is not None  # noqa: S101 - inserted or present in this transaction
    return sub, changed


async def _come_back(
    conn: AsyncConnection,
    chat_id: int,
    *,
    chat_type: str,
    title: str | None,
    now: datetime,
    thread_id: int | None,
) -> bool:
    old = await subscriptions.read(conn, chat_id)
    assert old is not None  # noqa: S101 - the insert conflicted on this chat_id
    if old.active:
        await subscriptions.set_chat(
            conn, chat_id, chat_type=chat_type, title=title, now=now, thread_id=thread_id
        )
        return False
    start = now - INITIAL_WINDOW
    return await subscriptions.reactivate(
        conn,
        chat_id,
        chat_type=chat_type,
        title=title,
        last_digest_at=max(old.last_digest_at or start, start),
        next_digest_at=next_digest(old, after=now),
        now=now,
        thread_id=thread_id,
    )


async def unsubscribe(store: Store, chat_id: int, *, now: datetime) -> bool:
    """Return whether the chat's subscription was active (it is inactive now)."""
    async with store.begin() as conn:
        return await subscriptions.deactivate(conn, chat_id, now=now)


@dataclass(frozen=True, slots=True)
class _Change:
    """Checked new values of some settings (None = leave as is)."""

    digest_times: tuple[str, ...] | None
    timezone: str | None
    frequency: str | None
    max_articles: int | None
    link_previews: bool | None

    def applied(self, old: Subscription) -> Subscription:
        """Return `old` with these values."""
        return replace(
            old,
            digest_times=old.digest_times if self.digest_times is None else self.digest_times,
            timezone=old.timezone if self.timezone is None else self.timezone,
            frequency=old.frequency if self.frequency is None else self.frequency,
            max_articles=old.max_articles if self.max_articles is None else self.max_articles,
            link_previews=old.link_previews if self.link_previews is None else self.link_previews,
        )


def _change(
    *,
    digest_times: Sequence[time] | None,
    timezone: str | None,
    frequency: str | None,
    max_articles: int | None,
    link_previews: bool | None,
) -> _Change:
    """Return the checked values of the settings given; ValueError for the first bad one."""
    return _Change(
        digest_times=None
        if digest_times is None
        else tuple(format_time(t) for t in clean_times(digest_times)),
        timezone=None if timezone is None else zone(timezone).key,
        frequency=None if frequency is None else check_frequency(frequency),
        max_articles=None if max_articles is None else check_max_articles(max_articles),
        link_previews=link_previews,
    )


async def _checked_feeds(conn: AsyncConnection, feed_ids: Sequence[int]) -> tuple[int, ...]:
    wanted = sorted(set(feed_ids))
    if not wanted:
        raise ValueError(words.NO_FEED_CHOSEN)
    known = await subscriptions.known_feed_ids(conn, wanted)
    missing = [str(feed_id) for feed_id in wanted if feed_id not in known]
    if missing:
        raise ValueError(words.unknown_feeds(missing[:5]))
    return tuple(wanted)


def _rescheduled(old: Subscription, new: Subscription, now: datetime) -> datetime | None:
    """Return next_digest_at after a change: a digest already due keeps its time."""
    if not old.active or new.frequency == "off":
        return None
    if old.next_digest_at is not None and old.next_digest_at <= now:
        return old.next_digest_at
    return next_digest(new, after=now)


async def update_subscription(
    store: Store,
    chat_id: int,
    *,
    now: datetime,
    digest_times: Sequence[time] | None = None,
    timezone: str | None = None,
    frequency: str | None = None,
    max_articles: int | None = None,
    feed_ids: Sequence[int] | EllipsisType | None = ...,
    link_previews: bool | None = None,
) -> Subscription:
    """Return the subscription with the given settings changed (None/... = leave as is).

    Raises ValueError with a message for the user. Changes take effect from the next digest:
    a digest already due keeps its time, later ones follow the new schedule; frequency "off"
    stops at once. `feed_ids` become the chat's sources (news.storage.sources); None means all
    the default feeds and the chat's own.
    """
    change = _change(
        digest_times=digest_times,
        timezone=timezone,
        frequency=frequency,
        max_articles=max_articles,
        link_previews=link_previews,
    )
    async with store.begin() as conn:
        chosen = feed_ids
        if not isinstance(chosen, EllipsisType) and chosen is not None:
            chosen = await _checked_feeds(conn, chosen)
        old = await subscriptions.read(conn, chat_id)
        if old is None:
            raise ValueError(words.SUBSCRIBE_FIRST)
        new = change.applied(old)
        if chosen is None:
            await sources.add_defaults(conn, chat_id, now)
        elif not isinstance(chosen, EllipsisType):
            await sources.set_exactly(conn, chat_id, chosen, now)
        new = replace(new, next_digest_at=_rescheduled(old, new, now))
        await subscriptions.save_settings(conn, new, now=now)
        sub = await subscriptions.read(conn, chat_id)
    assert sub is not None  # noqa: S101 - read in this transaction
    return sub


async def advance_planned(
    conn: AsyncConnection,
    planned: Sequence[tuple[Subscription, datetime | None]],
    *,
    lease_until: datetime,
    now: datetime,
) -> set[int]:
    """Return the ids of the claimed subscriptions now advanced past `now` (the others changed).

    `planned` pairs each claimed subscription with its new `last_digest_at`; each one's next
    digest time follows from its settings. Guarded by the lease, so a chat that changed its
    settings or unsubscribed after the claim is left alone and planned again with what it has
    now. Call it in the transaction that enqueues the digests, and enqueue only for the
    returned ids.
    """
    steps = [(sub, last, next_digest(sub, after=now)) for sub, last in planned]
    return await subscriptions.advance(conn, steps, lease_until=lease_until, now=now)

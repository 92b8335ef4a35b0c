"""Subscriptions: which chats get digests, when, and with what preferences.

Schedule: `next_digest_at` is the UTC time of the next due digest (NULL when inactive or
frequency is off); the planner claims rows whose time has come with a lease (`lease_until`).
Every change a chat makes clears that lease, so a planner that claimed the row before the
change notices (its guarded write matches nothing) and the row is planned again, fresh.

Window: a digest covers the articles since `last_digest_at`. A chat that subscribes (or comes
back) starts with a window of at most the last 24 hours, so its first digest is neither empty
nor a month of backlog.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from types import EllipsisType

from sqlalchemy import ColumnElement, Row, and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from news.digest_times import FREQUENCIES as FREQUENCIES  # re-exported for callers
from news.digest_times import format_time, next_digest_at, parse_time, zone
from news.models import Subscription
from news.storage.db import Store, insert_ignore
from news.storage.tables import feeds, subscriptions

INITIAL_WINDOW = timedelta(hours=24)
MAX_ARTICLES = 50
MAX_DIGEST_TIMES = 2
GROUP_TYPES = ("group", "supergroup")
# Ids per statement, well under SQLite's and asyncpg's limits on bound parameters.
_CHUNK = 500

_t = subscriptions.c


def _to_subscription(row: Row[tuple[object, ...]]) -> Subscription:
    m = row._mapping
    feed_ids = m["feed_ids"]
    return Subscription(
        id=m["id"],
        chat_id=m["chat_id"],
        chat_type=m["chat_type"],
        active=bool(m["active"]),
        digest_times=tuple(part for part in m["digest_times"].split(",") if part),
        timezone=m["timezone"],
        frequency=m["frequency"],
        max_articles=m["max_articles"],
        feed_ids=None if feed_ids is None else tuple(int(p) for p in feed_ids.split(",") if p),
        link_previews=bool(m["link_previews"]),
        last_digest_at=m["last_digest_at"],
        next_digest_at=m["next_digest_at"],
        title=m["title"],
    )


def _clean_times(digest_times: Sequence[time | str]) -> list[time]:
    times = list(dict.fromkeys(parse_time(value) for value in digest_times))
    if not times:
        raise ValueError("choose at least one digest time")
    if len(times) > MAX_DIGEST_TIMES:
        raise ValueError(f"choose at most {MAX_DIGEST_TIMES} digest times")
    return times


def _check_max_articles(max_articles: int) -> int:
    if not 1 <= max_articles <= MAX_ARTICLES:
        raise ValueError(f"the number of articles must be between 1 and {MAX_ARTICLES}")
    return max_articles


def _schedule(
    *, now: datetime, times: Sequence[str], timezone: str, frequency: str
) -> datetime | None:
    return next_digest_at(after=now, digest_times=times, timezone=timezone, frequency=frequency)


async def _row(conn: AsyncConnection, chat_id: int) -> Subscription | None:
    row = (await conn.execute(select(subscriptions).where(_t.chat_id == chat_id))).first()
    return None if row is None else _to_subscription(row)


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
) -> tuple[Subscription, bool]:
    """Return the chat's active subscription and whether it was (re)activated just now.

    New chats get the given defaults (two times mean "twice" a day, one "daily"); a chat that
    comes back keeps its old settings. More than two default times keep the first two.
    """
    unique = list(dict.fromkeys(parse_time(t) for t in digest_times))
    times = [format_time(t) for t in _clean_times(unique[:MAX_DIGEST_TIMES])]
    zone(timezone)
    frequency = "twice" if len(times) == MAX_DIGEST_TIMES else "daily"
    values = {
        "chat_id": chat_id,
        "chat_type": chat_type,
        "title": title,
        "active": True,
        "digest_times": ",".join(times),
        "timezone": timezone,
        "frequency": frequency,
        "max_articles": _check_max_articles(max_articles),
        "feed_ids": None,
        "link_previews": False,
        "last_digest_at": now - INITIAL_WINDOW,
        "next_digest_at": _schedule(now=now, times=times, timezone=timezone, frequency=frequency),
        "created_at": now,
        "updated_at": now,
    }
    async with store.begin() as conn:
        stmt = insert_ignore(conn.dialect.name, subscriptions, ["chat_id"]).returning(_t.id)
        if (await conn.execute(stmt, values)).first() is not None:
            changed = True
        else:
            changed = await _reactivate(conn, chat_id, chat_type=chat_type, title=title, now=now)
        sub = await _row(conn, chat_id)
    assert sub is not None  # noqa: S101 - inserted or present in this transaction
    return sub, changed


async def _reactivate(
    conn: AsyncConnection, chat_id: int, *, chat_type: str, title: str | None, now: datetime
) -> bool:
    old = await _row(conn, chat_id)
    assert old is not None  # noqa: S101 - the insert conflicted on this chat_id
    values: dict[str, object] = {"chat_type": chat_type, "title": title, "updated_at": now}
    if old.active:
        await conn.execute(update(subscriptions).where(_t.chat_id == chat_id).values(values))
        return False
    start = now - INITIAL_WINDOW
    values |= {
        "active": True,
        "last_digest_at": max(old.last_digest_at or start, start),
        "next_digest_at": _schedule(
            now=now, times=old.digest_times, timezone=old.timezone, frequency=old.frequency
        ),
        "lease_until": None,
    }
    stmt = update(subscriptions).where(_t.chat_id == chat_id, ~_t.active).values(values)
    return (await conn.execute(stmt)).rowcount > 0


async def unsubscribe(store: Store, chat_id: int, *, now: datetime) -> bool:
    """Return whether the chat's subscription was active (it is inactive now)."""
    async with store.begin() as conn:
        return await deactivate(conn, chat_id, now=now)


async def deactivate(conn: AsyncConnection, chat_id: int, *, now: datetime) -> bool:
    """Switch the chat's subscription off; return whether it was active."""
    stmt = (
        update(subscriptions)
        .where(_t.chat_id == chat_id, _t.active)
        .values(active=False, next_digest_at=None, lease_until=None, updated_at=now)
    )
    return (await conn.execute(stmt)).rowcount > 0


async def get_subscription(store: Store, chat_id: int) -> Subscription | None:
    """Return the chat's subscription (active or not), or None if it never subscribed."""
    async with store.connect() as conn:
        return await _row(conn, chat_id)


async def _check_feeds(conn: AsyncConnection, feed_ids: Sequence[int]) -> str:
    wanted = sorted(set(feed_ids))
    if not wanted:
        raise ValueError("choose at least one feed, or all feeds")
    known = set((await conn.execute(select(feeds.c.id).where(feeds.c.id.in_(wanted)))).scalars())
    missing = [str(feed_id) for feed_id in wanted if feed_id not in known]
    if missing:
        raise ValueError(f"unknown feed: {', '.join(missing[:5])}")
    return ",".join(str(feed_id) for feed_id in wanted)


def _rescheduled(old: Subscription, values: dict[str, object], now: datetime) -> datetime | None:
    """Return next_digest_at after a change: a digest already due keeps its time."""
    frequency = str(values.get("frequency", old.frequency))
    if not old.active or frequency == "off":
        return None
    if old.next_digest_at is not None and old.next_digest_at <= now:
        return old.next_digest_at
    return _schedule(
        now=now,
        times=str(values.get("digest_times", ",".join(old.digest_times))).split(","),
        timezone=str(values.get("timezone", old.timezone)),
        frequency=frequency,
    )


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
    stops at once. `feed_ids=None` means all feeds.
    """
    values: dict[str, object] = {"updated_at": now, "lease_until": None}
    if digest_times is not None:
        values["digest_times"] = ",".join(format_time(t) for t in _clean_times(digest_times))
    if timezone is not None:
        values["timezone"] = zone(timezone).key
    if frequency is not None:
        if frequency not in FREQUENCIES:
            raise ValueError(f"frequency must be one of: {', '.join(FREQUENCIES)}")
        values["frequency"] = frequency
    if max_articles is not None:
        values["max_articles"] = _check_max_articles(max_articles)
    if link_previews is not None:
        values["link_previews"] = link_previews
    async with store.begin() as conn:
        if not isinstance(feed_ids, EllipsisType):
            values["feed_ids"] = None if feed_ids is None else await _check_feeds(conn, feed_ids)
        old = await _row(conn, chat_id)
        if old is None:
            raise ValueError("this chat is not subscribed yet: send /subscribe first")
        values["next_digest_at"] = _rescheduled(old, values, now)
        await conn.execute(update(subscriptions).where(_t.chat_id == chat_id).values(values))
        sub = await _row(conn, chat_id)
    assert sub is not None  # noqa: S101 - read in this transaction
    return sub


async def move_chat(
    conn: AsyncConnection, old_chat_id: int, new_chat_id: int, *, now: datetime
) -> bool:
    """Return whether a subscription moved from `old_chat_id` to `new_chat_id`.

    If the new chat already has a subscription of its own, that one wins and the old one is
    deleted.
    """
    if await _row(conn, old_chat_id) is None:
        return False
    if await _row(conn, new_chat_id) is not None:
        await conn.execute(subscriptions.delete().where(_t.chat_id == old_chat_id))
        return False
    stmt = update(subscriptions).where(_t.chat_id == old_chat_id)
    # Clearing the lease makes a planner that claimed the old chat plan it again.
    await conn.execute(stmt.values(chat_id=new_chat_id, lease_until=None, updated_at=now))
    return True


async def mark_digest_sent(store: Store, chat_id: int, *, until: datetime, now: datetime) -> None:
    """Record that the chat has seen the articles up to `until` (an on-demand /digest)."""
    stmt = (
        update(subscriptions)
        .where(_t.chat_id == chat_id, or_(_t.last_digest_at.is_(None), _t.last_digest_at < until))
        .values(last_digest_at=until, lease_until=None, updated_at=now)
    )
    async with store.begin() as conn:
        await conn.execute(stmt)


async def subscription_counts(store: Store) -> dict[str, int]:
    """Return how many subscriptions are active and inactive, and active private/group/channel."""

    def count(*conditions: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((and_(*conditions), 1), else_=0)), 0)

    stmt = select(
        count(_t.active).label("active"),
        count(~_t.active).label("inactive"),
        count(_t.active, _t.chat_type == "private").label("private"),
        count(_t.active, _t.chat_type.in_(GROUP_TYPES)).label("groups"),
        count(_t.active, _t.chat_type == "channel").label("channels"),
    )
    async with store.connect() as conn:
        row = (await conn.execute(stmt)).one()
    return {key: int(value) for key, value in row._mapping.items()}


async def list_active(store: Store) -> list[Subscription]:
    """Return every active subscription, oldest first."""
    async with store.connect() as conn:
        rows = await conn.execute(select(subscriptions).where(_t.active).order_by(_t.id))
        return [_to_subscription(row) for row in rows]


async def claim_due(
    store: Store, *, now: datetime, lease_until: datetime, limit: int
) -> list[Subscription]:
    """Return up to `limit` active subscriptions due by `now`, leased until `lease_until`.

    On PostgreSQL `FOR UPDATE SKIP LOCKED` lets several planners claim in parallel, each
    getting different rows; SQLite serializes writers, which gives the same guarantee.
    """
    due = (
        select(_t.id)
        .where(
            _t.active,
            _t.next_digest_at <= now,
            or_(_t.lease_until.is_(None), _t.lease_until <= now),
        )
        .order_by(_t.next_digest_at, _t.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    stmt = (
        update(subscriptions)
        .where(_t.id.in_(due.scalar_subquery()))
        .values(lease_until=lease_until)
        .returning(*subscriptions.c)
    )
    async with store.begin() as conn:
        rows = (await conn.execute(stmt)).fetchall()
    return sorted((_to_subscription(row) for row in rows), key=lambda s: s.id)


async def advance_planned(
    conn: AsyncConnection,
    planned: Sequence[tuple[Subscription, datetime | None]],
    *,
    lease_until: datetime,
    now: datetime,
) -> set[int]:
    """Return the ids of the claimed subscriptions now advanced past `now` (the others changed).

    `planned` pairs each claimed subscription with its new `last_digest_at`. Guarded by the
    lease, so a chat that changed its settings or unsubscribed after the claim is left alone and
    planned again with what it has now. Call it in the transaction that enqueues the digests,
    and enqueue only for the returned ids. Subscriptions sharing a schedule share one UPDATE.
    """
    groups: dict[tuple[datetime | None, datetime | None], list[int]] = {}
    for sub, last_digest_at in planned:
        upcoming = _schedule(
            now=now, times=sub.digest_times, timezone=sub.timezone, frequency=sub.frequency
        )
        groups.setdefault((last_digest_at, upcoming), []).append(sub.id)
    advanced: set[int] = set()
    for (last_digest_at, upcoming), ids in groups.items():
        for start in range(0, len(ids), _CHUNK):
            stmt = (
                update(subscriptions)
                .where(
                    _t.id.in_(ids[start : start + _CHUNK]),
                    _t.active,
                    _t.lease_until == lease_until,
                )
                .values(
                    last_digest_at=last_digest_at,
                    next_digest_at=upcoming,
                    lease_until=None,
                    updated_at=now,
                )
                .returning(_t.id)
            )
            advanced.update((await conn.execute(stmt)).scalars())
    return advanced

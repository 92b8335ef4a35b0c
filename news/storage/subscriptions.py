"""Subscriptions: which chats get digests, when, and with what preferences. Reads and writes.

The rules (what a chat may choose, when its next digest is due) live in news/subscriptions.py.
`next_digest_at` is the UTC time of the next due digest (NULL when inactive or frequency is
off); the planner claims rows whose time has come with a lease (`lease_until`). Every change a
chat makes clears that lease, so a planner that claimed the row before the change notices (its
guarded write matches nothing) and the row is planned again, fresh.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import ColumnElement, Row, and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from news.models import Subscription
from news.storage import sources
from news.storage.db import Store, insert_ignore
from news.storage.tables import feeds, subscriptions

GROUP_TYPES = ("group", "supergroup")
# Ids per statement, well under SQLite's and asyncpg's limits on bound parameters.
_CHUNK = 500

_t = subscriptions.c


async def _with_sources(conn: AsyncConnection, subs: list[Subscription]) -> list[Subscription]:
    """Return the subscriptions with their chats' sources (chat_sources) as feed_ids."""
    found = await sources.readings(conn, [sub.chat_id for sub in subs])
    return [
        replace(sub, feed_ids=found[sub.chat_id][0], muted=found[sub.chat_id][1]) for sub in subs
    ]


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
        thread_id=m["thread_id"],
    )


async def read(conn: AsyncConnection, chat_id: int) -> Subscription | None:
    """Return the chat's subscription (active or not), or None if it never subscribed."""
    row = (await conn.execute(select(subscriptions).where(_t.chat_id == chat_id))).first()
    if row is None:
        return None
    [sub] = await _with_sources(conn, [_to_subscription(row)])
    return sub


async def insert(
    conn: AsyncConnection,
    *,
    chat_id: int,
    chat_type: str,
    title: str | None,
    digest_times: Sequence[str],
    timezone: str,
    frequency: str,
    max_articles: int,
    last_digest_at: datetime,
    next_digest_at: datetime | None,
    now: datetime,
    thread_id: int | None = None,
) -> bool:
    """Insert an active subscription with the default feeds as sources (added to those the chat
    has) and no previews; False if the chat has one."""
    values = {
        "chat_id": chat_id,
        "chat_type": chat_type,
        "title": title,
        "active": True,
        "digest_times": ",".join(digest_times),
        "timezone": timezone,
        "frequency": frequency,
        "max_articles": max_articles,
        "feed_ids": None,
        "link_previews": False,
        "last_digest_at": last_digest_at,
        "next_digest_at": next_digest_at,
        "created_at": now,
        "updated_at": now,
        "thread_id": thread_id,
    }
    stmt = insert_ignore(conn.dialect.name, subscriptions, ["chat_id"]).returning(_t.id)
    created = (await conn.execute(stmt, values)).first() is not None
    if created:
        await sources.add_defaults(conn, chat_id, now)
    return created


async def set_chat(
    conn: AsyncConnection,
    chat_id: int,
    *,
    chat_type: str,
    title: str | None,
    now: datetime,
    thread_id: int | None = None,
) -> None:
    """Record the chat's current type, title and topic."""
    values = {"chat_type": chat_type, "title": title, "updated_at": now, "thread_id": thread_id}
    await conn.execute(update(subscriptions).where(_t.chat_id == chat_id).values(values))


async def reactivate(
    conn: AsyncConnection,
    chat_id: int,
    *,
    chat_type: str,
    title: str | None,
    last_digest_at: datetime,
    next_digest_at: datetime | None,
    now: datetime,
    thread_id: int | None = None,
) -> bool:
    """Switch an inactive subscription back on; return False when it was active already."""
    values = {
        "thread_id": thread_id,
        "chat_type": chat_type,
        "title": title,
        "updated_at": now,
        "active": True,
        "last_digest_at": last_digest_at,
        "next_digest_at": next_digest_at,
        "lease_until": None,
    }
    stmt = update(subscriptions).where(_t.chat_id == chat_id, ~_t.active).values(values)
    return (await conn.execute(stmt)).rowcount > 0


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
        return await read(conn, chat_id)


async def known_feed_ids(conn: AsyncConnection, feed_ids: Sequence[int]) -> set[int]:
    """Return which of `feed_ids` are feeds we have."""
    stmt = select(feeds.c.id).where(feeds.c.id.in_(list(feed_ids)))
    return set((await conn.execute(stmt)).scalars())


async def save_settings(conn: AsyncConnection, sub: Subscription, *, now: datetime) -> None:
    """Write the subscription's settings and next digest time, clearing the planner's lease."""
    values = {
        "digest_times": ",".join(sub.digest_times),
        "timezone": sub.timezone,
        "frequency": sub.frequency,
        "max_articles": sub.max_articles,
        "link_previews": sub.link_previews,
        "next_digest_at": sub.next_digest_at,
        "lease_until": None,
        "updated_at": now,
    }
    await conn.execute(update(subscriptions).where(_t.chat_id == sub.chat_id).values(values))


async def move_chat(
    conn: AsyncConnection, old_chat_id: int, new_chat_id: int, *, now: datetime
) -> bool:
    """Return whether a subscription moved from `old_chat_id` to `new_chat_id`.

    If the new chat already has a subscription of its own, that one wins and the old one is
    deleted.
    """
    if await read(conn, old_chat_id) is None:
        return False
    await sources.move(conn, old_chat_id, new_chat_id)
    if await read(conn, new_chat_id) is not None:
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
        return await _with_sources(conn, [_to_subscription(row) for row in rows])


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
        subs = sorted((_to_subscription(row) for row in rows), key=lambda s: s.id)
        return await _with_sources(conn, subs)


async def advance(
    conn: AsyncConnection,
    steps: Sequence[tuple[Subscription, datetime | None, datetime | None]],
    *,
    lease_until: datetime,
    now: datetime,
) -> set[int]:
    """Return the ids of the claimed subscriptions moved on (the others changed meanwhile).

    Each step is (claimed subscription, its new last_digest_at, its new next_digest_at), and
    each write is guarded by the lease. Subscriptions sharing the new times share one UPDATE.
    """
    groups: dict[tuple[datetime | None, datetime | None], list[int]] = {}
    for sub, last_digest_at, upcoming in steps:
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

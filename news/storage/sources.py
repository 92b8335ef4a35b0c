"""A chat's sources: the rows of chat_sources, each a (chat, feed) the chat reads.

news/sources.py holds the rules (limits, adding by URL); this module only reads and writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import EllipsisType
from typing import Any

from sqlalchemy import Row, delete, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from news.models import Feed
from news.storage.db import Store, insert_ignore
from news.storage.feeds import _FEED_COLUMNS, _feed
from news.storage.tables import UTCDateTime, articles, chat_sources, feeds, source_adds

_s = chat_sources.c
# Ids per statement, well under SQLite's and asyncpg's limits on bound parameters.
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class ChatSource:
    """One of a chat's sources: the feed, and how the chat reads it."""

    feed: Feed
    added_at: datetime
    muted_until: datetime | None = None
    digest_only: bool = False
    week_items: int = 0  # articles fetched in the last seven days (list_sources only)

    def muted_at(self, at: datetime) -> bool:
        """Return whether the source is muted at `at`."""
        return self.muted_until is not None and self.muted_until > at


async def add(conn: AsyncConnection, chat_id: int, feed_ids: Iterable[int], now: datetime) -> int:
    """Add feeds to a chat's sources; return how many were not there yet."""
    rows = [
        {"chat_id": chat_id, "feed_id": f, "digest_only": False, "added_at": now}
        for f in dict.fromkeys(feed_ids)
    ]
    if not rows:
        return 0
    stmt = insert_ignore(conn.dialect.name, chat_sources, ["chat_id", "feed_id"])
    added = 0
    for start in range(0, len(rows), _CHUNK):
        result = await conn.execute(stmt.returning(_s.feed_id), rows[start : start + _CHUNK])
        added += len(result.all())
    return added


async def add_defaults(conn: AsyncConnection, chat_id: int, now: datetime) -> int:
    """Give a chat every default feed as a source; return how many it did not have."""
    defaults = select(
        literal(chat_id), feeds.c.id, literal(False), literal(now, UTCDateTime)
    ).where(feeds.c.is_default.is_(True))
    stmt = insert_ignore(conn.dialect.name, chat_sources, ["chat_id", "feed_id"])
    columns = ["chat_id", "feed_id", "digest_only", "added_at"]
    result = await conn.execute(stmt.from_select(columns, defaults))
    return max(result.rowcount, 0)


async def remove(conn: AsyncConnection, chat_id: int, feed_ids: Iterable[int]) -> int:
    """Remove feeds from a chat's sources; return how many it had."""
    ids = list(feed_ids)
    if not ids:
        return 0
    stmt = delete(chat_sources).where(_s.chat_id == chat_id, _s.feed_id.in_(ids))
    return (await conn.execute(stmt)).rowcount


async def set_exactly(
    conn: AsyncConnection, chat_id: int, feed_ids: Sequence[int], now: datetime
) -> None:
    """Make `feed_ids` the chat's sources: others removed, missing ones added."""
    have = set(await source_ids(conn, chat_id))
    await remove(conn, chat_id, have - set(feed_ids))
    await add(conn, chat_id, [f for f in feed_ids if f not in have], now)


async def source_ids(conn: AsyncConnection, chat_id: int) -> list[int]:
    """Return the ids of the chat's sources, in order."""
    stmt = select(_s.feed_id).where(_s.chat_id == chat_id).order_by(_s.feed_id)
    return list((await conn.execute(stmt)).scalars())


_Reading = tuple[tuple[int, ...], tuple[tuple[int, datetime], ...]]


async def readings(conn: AsyncConnection, chat_ids: Sequence[int]) -> dict[int, _Reading]:
    """Return per chat its source ids and its muted sources (feed id, until)."""
    found: dict[int, tuple[list[int], list[tuple[int, datetime]]]] = {
        c: ([], []) for c in chat_ids
    }
    ids = list(found)
    for start in range(0, len(ids), _CHUNK):
        stmt = (
            select(_s.chat_id, _s.feed_id, _s.muted_until)
            .where(_s.chat_id.in_(ids[start : start + _CHUNK]))
            .order_by(_s.chat_id, _s.feed_id)
        )
        for chat_id, feed_id, muted_until in await conn.execute(stmt):
            feed_ids, muted = found[chat_id]
            feed_ids.append(feed_id)
            if muted_until is not None:
                muted.append((feed_id, muted_until))
    return {c: (tuple(f), tuple(m)) for c, (f, m) in found.items()}


def _source(row: Row[*tuple[Any, ...]]) -> ChatSource:
    m = row._mapping
    return ChatSource(
        feed=_feed(row),
        added_at=m["added_at"],
        muted_until=m["muted_until"],
        digest_only=bool(m["digest_only"]),
        week_items=int(m.get("week_items") or 0),
    )


async def list_sources(
    store: Store, chat_id: int, *, week_since: datetime | None = None
) -> list[ChatSource]:
    """Return the chat's sources with their feeds, in the order they were added (then id).

    With `week_since`, each counts its articles fetched since then.
    """
    columns: list[Any] = [*_FEED_COLUMNS, _s.added_at, _s.muted_until, _s.digest_only]
    if week_since is not None:
        week = (
            select(func.count())
            .where(articles.c.feed_id == feeds.c.id, articles.c.fetched_at > week_since)
            .scalar_subquery()
        )
        columns.append(week.label("week_items"))
    stmt = (
        select(*columns)
        .join_from(chat_sources, feeds, feeds.c.id == _s.feed_id)
        .where(_s.chat_id == chat_id)
        .order_by(_s.added_at, _s.feed_id)
    )
    async with store.connect() as conn:
        return [_source(row) for row in await conn.execute(stmt)]


async def get_source(store: Store, chat_id: int, feed_id: int) -> ChatSource | None:
    """Return one of the chat's sources, or None."""
    stmt = (
        select(*_FEED_COLUMNS, _s.added_at, _s.muted_until, _s.digest_only)
        .join_from(chat_sources, feeds, feeds.c.id == _s.feed_id)
        .where(_s.chat_id == chat_id, _s.feed_id == feed_id)
    )
    async with store.connect() as conn:
        row = (await conn.execute(stmt)).first()
    return None if row is None else _source(row)


async def update_source(
    store: Store,
    chat_id: int,
    feed_id: int,
    *,
    muted_until: datetime | EllipsisType | None = ...,
    digest_only: bool | None = None,
) -> bool:
    """Change how the chat reads one source; return whether the chat has it."""
    values: dict[str, object] = {}
    if not isinstance(muted_until, EllipsisType):
        values["muted_until"] = muted_until
    if digest_only is not None:
        values["digest_only"] = digest_only
    stmt = update(chat_sources).where(_s.chat_id == chat_id, _s.feed_id == feed_id)
    async with store.begin() as conn:
        return (await conn.execute(stmt.values(values))).rowcount > 0


async def count_sources(conn: AsyncConnection, chat_id: int) -> int:
    """Return how many sources the chat has."""
    stmt = select(func.count()).select_from(chat_sources).where(_s.chat_id == chat_id)
    return int((await conn.execute(stmt)).scalar_one())


async def count_added_since(conn: AsyncConnection, chat_id: int, since: datetime) -> int:
    """Return how many sources the chat added after `since` (removed ones too)."""
    t = source_adds.c
    stmt = select(func.count()).where(t.chat_id == chat_id, t.added_at > since)
    return int((await conn.execute(stmt)).scalar_one())


async def record_add(conn: AsyncConnection, chat_id: int, now: datetime) -> None:
    """Remember that the chat added a source now (the adds-per-hour limit)."""
    await conn.execute(source_adds.insert().values(chat_id=chat_id, added_at=now))


async def count_feeds(conn: AsyncConnection) -> int:
    """Return how many feeds there are in all."""
    return int((await conn.execute(select(func.count()).select_from(feeds))).scalar_one())


async def move(conn: AsyncConnection, old_chat_id: int, new_chat_id: int) -> None:
    """Give a chat's sources to the chat it became (a group upgraded to a supergroup)."""
    moved = select(literal(new_chat_id), _s.feed_id, _s.muted_until, _s.digest_only, _s.added_at)
    stmt = insert_ignore(conn.dialect.name, chat_sources, ["chat_id", "feed_id"])
    columns = ["chat_id", "feed_id", "muted_until", "digest_only", "added_at"]
    await conn.execute(stmt.from_select(columns, moved.where(_s.chat_id == old_chat_id)))
    await conn.execute(delete(chat_sources).where(_s.chat_id == old_chat_id))


async def digest_only_pairs(
    conn: AsyncConnection, chat_ids: Sequence[int]
) -> set[tuple[int, int]]:
    """Return the (chat, feed) pairs among these chats read only in digests (no alerts)."""
    ids = list(chat_ids)
    if not ids:
        return set()
    stmt = select(_s.chat_id, _s.feed_id).where(_s.chat_id.in_(ids), _s.digest_only.is_(True))
    return {(c, f) for c, f in await conn.execute(stmt)}


async def default_feed_ids(conn: AsyncConnection) -> list[int]:
    """Return the ids of the operator's default feeds."""
    stmt = select(feeds.c.id).where(feeds.c.is_default.is_(True)).order_by(feeds.c.id)
    return list((await conn.execute(stmt)).scalars())


async def newest_items(store: Store, feed_id: int, limit: int = 3) -> list[tuple[str, str | None]]:
    """Return the (title, link) of a feed's newest articles, newest first."""
    stmt = (
        select(articles.c.title, articles.c.url)
        .where(articles.c.feed_id == feed_id)
        # Undated items share their fetch time: then the feed's own order (newest on top).
        .order_by(articles.c.sort_at.desc(), articles.c.id)
        .limit(limit)
    )
    async with store.connect() as conn:
        return [(title, url) for title, url in await conn.execute(stmt)]


async def find_feed(conn: AsyncConnection, key: str) -> Feed | None:
    """Return the feed stored under a news.feedurl key, or None."""
    row = (await conn.execute(select(*_FEED_COLUMNS).where(feeds.c.url_key == key))).first()
    return None if row is None else _feed(row)


async def failing_feeds(store: Store) -> list[Feed]:
    """Return the feeds whose last poll failed, longest failing first."""
    since = func.coalesce(feeds.c.last_success_at, feeds.c.created_at)
    stmt = select(*_FEED_COLUMNS).where(feeds.c.error_count > 0).order_by(since, feeds.c.id)
    async with store.connect() as conn:
        return [_feed(row) for row in await conn.execute(stmt)]

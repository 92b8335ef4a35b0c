"""A chat's digest filters: saved queries every story of its digests must match."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, insert, select

from news.models import SavedQuery
from news.storage.db import Store
from news.storage.tables import chat_filters

_f = chat_filters.c


def _filter(row: Row[Any]) -> SavedQuery:
    return SavedQuery(id=row.id, chat_id=row.chat_id, query=row.query, feed_id=row.feed_id)


async def add_filter(
    store: Store, chat_id: int, query: str, *, feed_id: int | None, now: datetime
) -> SavedQuery | None:
    """Return the filter saved, or None when the chat has the same one already."""
    async with store.begin() as conn:
        source = _f.feed_id.is_(None) if feed_id is None else _f.feed_id == feed_id
        same = select(_f.id).where(_f.chat_id == chat_id, _f.query == query, source)
        if (await conn.execute(same)).first() is not None:
            return None
        values = {"chat_id": chat_id, "query": query, "feed_id": feed_id, "created_at": now}
        new_id = (await conn.execute(insert(chat_filters).values(values))).inserted_primary_key
        assert new_id is not None  # noqa: S101 - an INSERT of one row
    return SavedQuery(id=new_id[0], chat_id=chat_id, query=query, feed_id=feed_id)


async def count_filters(store: Store, chat_id: int) -> int:
    """Return how many filters the chat has."""
    async with store.begin() as conn:
        stmt = select(func.count()).select_from(chat_filters).where(_f.chat_id == chat_id)
        return int((await conn.execute(stmt)).scalar_one())


async def chat_filters_of(store: Store, chat_ids: Sequence[int]) -> dict[int, list[SavedQuery]]:
    """Return each chat's filters, oldest first (chats without any are left out)."""
    found: dict[int, list[SavedQuery]] = {}
    if not chat_ids:
        return found
    stmt = select(chat_filters).where(_f.chat_id.in_(list(chat_ids))).order_by(_f.id)
    async with store.begin() as conn:
        for row in (await conn.execute(stmt)).all():
            found.setdefault(row.chat_id, []).append(_filter(row))
    return found


async def remove_filter(store: Store, chat_id: int, filter_id: int) -> bool:
    """Remove the chat's filter; return whether it existed."""
    stmt = delete(chat_filters).where(_f.chat_id == chat_id, _f.id == filter_id)
    async with store.begin() as conn:
        return bool((await conn.execute(stmt)).rowcount)

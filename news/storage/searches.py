"""Saved /search queries: buttons carry only a row id, so any bot replica can page a search."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from news.storage.db import Store
from news.storage.tables import searches


async def save_search(store: Store, chat_id: int, query: str, *, now: datetime) -> int:
    """Return the id of a new row holding `query` for `chat_id`."""
    async with store.begin() as conn:
        result = await conn.execute(
            insert(searches)
            .values(chat_id=chat_id, query=query, created_at=now)
            .returning(searches.c.id)
        )
        return int(result.scalar_one())


async def get_search(store: Store, search_id: int, chat_id: int) -> str | None:
    """Return the query saved as `search_id` for `chat_id`, or None (unknown or another chat's)."""
    async with store.connect() as conn:
        result = await conn.execute(
            select(searches.c.query).where(
                searches.c.id == search_id, searches.c.chat_id == chat_id
            )
        )
        return result.scalar_one_or_none()


async def count_searches(store: Store, chat_id: int, *, since: datetime) -> int:
    """Return how many searches `chat_id` saved at or after `since`."""
    async with store.connect() as conn:
        result = await conn.execute(
            select(func.count())
            .select_from(searches)
            .where(searches.c.chat_id == chat_id, searches.c.created_at >= since)
        )
        return int(result.scalar_one())


async def delete_searches_before(store: Store, before: datetime) -> int:
    """Delete searches saved before `before` (their buttons go stale); return how many."""
    async with store.begin() as conn:
        result = await conn.execute(delete(searches).where(searches.c.created_at < before))
        return int(result.rowcount)


async def move_chat(conn: AsyncConnection, old_chat_id: int, new_chat_id: int) -> int:
    """Move a chat's saved searches to its new id (group -> supergroup); return how many."""
    stmt = searches.update().where(searches.c.chat_id == old_chat_id).values(chat_id=new_chat_id)
    return int((await conn.execute(stmt)).rowcount)

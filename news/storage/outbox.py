"""The outbox: one row per message to send, unique on (chat, slot, part), drained by the sender."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from news.storage.db import insert_ignore
from news.storage.tables import outbox


async def enqueue(
    conn: AsyncConnection,
    *,
    chat_id: int,
    slot: str,
    parts: Sequence[str],
    link_previews: bool,
    now: datetime,
    kind: str = "digest",
) -> int:
    """Insert one pending row per part, skipping parts already queued; return how many were new.

    Takes a connection so a caller can plan a digest and advance the subscription in the same
    transaction: planning twice creates nothing twice.
    """
    if not parts:
        return 0
    rows = [
        {
            "chat_id": chat_id,
            "kind": kind,
            "slot": slot,
            "part": index,
            "text": text,
            "link_previews": link_previews,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for index, text in enumerate(parts)
    ]
    stmt = insert_ignore(conn.dialect.name, outbox, ["chat_id", "slot", "part"])
    result = await conn.execute(stmt.returning(outbox.c.id), rows)
    return len(result.fetchall())

"""Alerts: saved searches per chat, and the hits that turned into messages (exactly once).

A hit is keyed by (chat, article): the hit and its outbox row are written in the transaction
that stores the article's summary, so whatever crashes, an article is announced at most once
per chat, and the sender delivers what was committed. Over the hourly cap a hit is folded:
it is counted in the hour's "and N more" row, which waits as status 'held' (not blocking the
chat's other messages) until the hour is over and then becomes pending.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from news.models import SavedQuery
from news.storage.db import Store, insert_ignore
from news.storage.tables import alert_hits, alerts, outbox, subscriptions

_a, _h, _o = alerts.c, alert_hits.c, outbox.c
Buttons = list[list[tuple[str, str]]]  # rows of (label, callback data)


def _alert(row: Row[Any]) -> SavedQuery:
    return SavedQuery(id=row.id, chat_id=row.chat_id, query=row.query)


async def add_alert(store: Store, chat_id: int, query: str, *, now: datetime) -> SavedQuery | None:
    """Return the alert saved, or None when the chat has the same one already."""
    values = {"chat_id": chat_id, "query": query, "created_at": now}
    async with store.begin() as conn:
        stmt = insert_ignore(conn.dialect.name, alerts, ["chat_id", "query"]).values(values)
        row = (await conn.execute(stmt.returning(_a.id))).first()
    return None if row is None else SavedQuery(id=row.id, chat_id=chat_id, query=query)


async def chat_alerts(store: Store, chat_id: int) -> list[SavedQuery]:
    """Return the chat's alerts, oldest first."""
    async with store.begin() as conn:
        rows = await conn.execute(select(alerts).where(_a.chat_id == chat_id).order_by(_a.id))
        return [_alert(row) for row in rows]


async def remove_alert(store: Store, chat_id: int, alert_id: int) -> SavedQuery | None:
    """Remove the chat's alert; return it, or None if it was gone."""
    stmt = delete(alerts).where(_a.chat_id == chat_id, _a.id == alert_id).returning(*alerts.c)
    async with store.begin() as conn:
        row = (await conn.execute(stmt)).first()
    return None if row is None else _alert(row)


async def active_alerts(store: Store) -> tuple[tuple[int, int], list[SavedQuery]]:
    """Return (a version that changes with any alert added or removed, the alerts of chats that
    did not block or remove the bot)."""
    stopped = (
        select(subscriptions.c.chat_id)
        .where(subscriptions.c.chat_id == _a.chat_id, subscriptions.c.active.is_(False))
        .exists()
    )
    async with store.begin() as conn:
        version = (await conn.execute(select(func.count(), func.max(_a.id)))).one()
        rows = await conn.execute(select(alerts).where(~stopped).order_by(_a.id))
        return (version[0], version[1] or 0), [_alert(row) for row in rows]


def _hour_slot(hour: datetime) -> str:
    return "alerts-more:" + hour.strftime("%Y-%m-%dT%H")


async def record_hit(
    conn: AsyncConnection,
    hit: tuple[int, int, int],
    *,
    cap: int,
    hour: datetime,
    message: tuple[str, Buttons],
    now: datetime,
) -> bool | None:
    """Record the (chat, article, alert) hit and queue its message, or fold it over the cap.

    Returns None if the chat had this article already, else whether the hit was folded.
    `hour` is the start of the current hour, the period the cap counts.
    """
    chat_id, article_id, alert_id = hit
    recent = select(func.count()).where(
        _h.chat_id == chat_id, _h.created_at >= hour, _h.folded.is_(False)
    )
    folded = (await conn.execute(recent)).scalar_one() >= cap
    row = {"chat_id": chat_id, "article_id": article_id, "alert_id": alert_id}
    stmt = insert_ignore(conn.dialect.name, alert_hits, ["chat_id", "article_id"])
    stmt = stmt.values(row | {"folded": folded, "created_at": now}).returning(_h.chat_id)
    if (await conn.execute(stmt)).first() is None:
        return None
    if not folded:
        text, buttons = message
        await _queue(conn, chat_id, f"alert:{article_id}", text, buttons, "pending", now)
    return folded


async def folded_count(conn: AsyncConnection, chat_id: int, hour: datetime) -> int:
    """Return how many of the chat's hits were folded this hour."""
    stmt = select(func.count()).where(
        _h.chat_id == chat_id, _h.created_at >= hour, _h.folded.is_(True)
    )
    return int((await conn.execute(stmt)).scalar_one())


async def hold_fold(
    conn: AsyncConnection, chat_id: int, hour: datetime, text: str, *, now: datetime
) -> None:
    """Write (or rewrite) the hour's "and N more" row, held until the hour is over."""
    slot = _hour_slot(hour)
    await _queue(conn, chat_id, slot, text, [], "held", now)
    rewrite = update(outbox).where(
        _o.chat_id == chat_id, _o.slot == slot, _o.part == 0, _o.status == "held"
    )
    await conn.execute(rewrite.values(text=text))


async def release_folds(store: Store, *, hour: datetime, now: datetime) -> int:
    """Make the "and N more" rows of past hours pending; return how many."""
    stmt = (
        update(outbox)
        .where(_o.kind == "alerts-more", _o.status == "held", _o.created_at < hour)
        .values(status="pending", next_attempt_at=now)
    )
    async with store.begin() as conn:
        return int((await conn.execute(stmt)).rowcount)


async def _queue(
    conn: AsyncConnection,
    chat_id: int,
    slot: str,
    text: str,
    buttons: Buttons,
    status: str,
    now: datetime,
) -> None:
    row = {
        "chat_id": chat_id,
        "kind": slot.partition(":")[0],
        "slot": slot,
        "part": 0,
        "text": text,
        "link_previews": False,
        "status": status,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "buttons": json.dumps(buttons) if buttons else None,
    }
    # In a forum group an alert goes where the digests go: the topic it subscribed in.
    topic = select(subscriptions.c.thread_id).where(subscriptions.c.chat_id == chat_id)
    stmt = insert_ignore(conn.dialect.name, outbox, ["chat_id", "slot", "part"])
    await conn.execute(stmt.values(**row, thread_id=topic.scalar_subquery()))

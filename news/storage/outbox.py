"""The outbox: one row per message to send, unique on (chat, slot, part), drained by the sender."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from news.models import OutboxMessage
from news.storage.db import Store, insert_ignore
from news.storage.tables import as_utc, outbox

_o = outbox.c


async def enqueue(
    conn: AsyncConnection,
    *,
    chat_id: int,
    slot: str,
    parts: Sequence[str],
    link_previews: bool,
    now: datetime,
    kind: str = "digest",
    buttons: str | None = None,
    thread_id: int | None = None,
) -> int:
    """Insert one pending row per part, skipping parts already queued; return how many were new.

    `buttons` (JSON, see outbox.buttons) go under the last part.

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
            "buttons": buttons if index == len(parts) - 1 else None,
            "thread_id": thread_id,
        }
        for index, text in enumerate(parts)
    ]
    stmt = insert_ignore(conn.dialect.name, outbox, ["chat_id", "slot", "part"])
    result = await conn.execute(stmt.returning(outbox.c.id), rows)
    return len(result.fetchall())


def _message(row: Row[Any]) -> OutboxMessage:
    return OutboxMessage(
        id=row.id,
        chat_id=row.chat_id,
        slot=row.slot,
        part=row.part,
        text=row.text,
        link_previews=row.link_previews,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        buttons=row.buttons,
        thread_id=row.thread_id,
    )


_COLUMNS = (
    _o.id,
    _o.chat_id,
    _o.slot,
    _o.part,
    _o.text,
    _o.link_previews,
    _o.status,
    _o.attempts,
    _o.next_attempt_at,
    _o.last_error,
    _o.buttons,
    _o.thread_id,
)


async def claim_batch(
    store: Store, *, now: datetime, limit: int, lease_seconds: int = 60
) -> list[OutboxMessage]:
    """Return up to `limit` due pending rows, oldest first, leased until now + lease_seconds.

    The lease is the row's next_attempt_at: a sender that dies holding rows leaves them pending,
    and they come back by themselves once the lease runs out. On PostgreSQL the rows are picked
    FOR UPDATE SKIP LOCKED, so two senders never claim the same row.
    """
    # A row waits while an earlier row of its chat is pending but not due (leased by a sender
    # that died, or backing off): otherwise part 2 of a digest could overtake part 1.
    # Written as a per-row lookup of the chat's first waiting row (an index probe on chat_id)
    # rather than NOT EXISTS: PostgreSQL turns that into an anti-join, and when its statistics
    # do not yet know the rows just leased it compared every due row with every leased one
    # (3.6 s a claim with 50,000 rows due).
    earlier = outbox.alias("earlier")
    first_waiting = (
        select(func.min(earlier.c.id))
        .where(
            earlier.c.chat_id == _o.chat_id,
            earlier.c.status == "pending",
            earlier.c.next_attempt_at > now,
        )
        .scalar_subquery()
    )
    due = (
        select(_o.id)
        .where(
            _o.status == "pending",
            _o.next_attempt_at <= now,
            func.coalesce(first_waiting, _o.id + 1) > _o.id,
        )
        .order_by(_o.next_attempt_at, _o.id)
        .limit(limit)
    )
    if not store.is_sqlite:
        due = due.with_for_update(skip_locked=True)
    stmt = (
        update(outbox)
        .where(_o.id.in_(due.scalar_subquery()))
        .values(next_attempt_at=now + timedelta(seconds=lease_seconds))
        .returning(*_COLUMNS)
    )
    async with store.begin() as conn:
        rows = (await conn.execute(stmt)).all()
    return sorted((_message(row) for row in rows), key=lambda m: m.id)


async def mark_sent(
    store: Store, message_id: int, *, telegram_message_id: int | None, now: datetime
) -> None:
    """Record that Telegram accepted the row (only ever after it did)."""
    await mark_sent_many(store, [(message_id, telegram_message_id)], now=now)


async def mark_sent_many(
    store: Store, sent: Sequence[tuple[int, int | None]], *, now: datetime
) -> None:
    """Record several accepted rows, (row id, Telegram message id) each, in one transaction."""
    if not sent:
        return
    stmt = (
        update(outbox)
        .where(_o.id == bindparam("row_id"))
        .values(status="sent", message_id=bindparam("telegram_id"), sent_at=now, last_error=None)
    )
    async with store.begin() as conn:
        await conn.execute(stmt, [{"row_id": i, "telegram_id": t} for i, t in sent])


async def mark_retry(
    store: Store, message_id: int, *, next_attempt_at: datetime, error: str
) -> None:
    """Put the row back for another attempt at `next_attempt_at`, counting the attempt.

    The chat's later pending rows wait at least as long, so a digest's parts never overtake
    each other, even across a restart.
    """
    chat = select(_o.chat_id).where(_o.id == message_id).scalar_subquery()
    retry = (
        update(outbox)
        .where(_o.id == message_id, _o.status == "pending")
        .values(attempts=_o.attempts + 1, next_attempt_at=next_attempt_at, last_error=error)
    )
    later = (
        update(outbox)
        .where(
            _o.chat_id == chat,
            _o.status == "pending",
            _o.id > message_id,
            _o.next_attempt_at < next_attempt_at,
        )
        .values(next_attempt_at=next_attempt_at)
    )
    async with store.begin() as conn:
        await conn.execute(retry)
        await conn.execute(later)


async def mark_failed(store: Store, message_id: int, *, error: str, now: datetime) -> None:
    """Give up on the row; next_attempt_at keeps when that happened."""
    stmt = (
        update(outbox)
        .where(_o.id == message_id)
        .values(status="failed", attempts=_o.attempts + 1, last_error=error, next_attempt_at=now)
    )
    async with store.begin() as conn:
        await conn.execute(stmt)


async def drop_chat(conn: AsyncConnection, chat_id: int, *, reason: str, now: datetime) -> int:
    """Drop every pending row of the chat (blocked, kicked, gone); return how many."""
    stmt = (
        update(outbox)
        .where(_o.chat_id == chat_id, _o.status == "pending")
        .values(status="dropped", last_error=reason, next_attempt_at=now)
    )
    return (await conn.execute(stmt)).rowcount


async def move_chat(
    conn: AsyncConnection, old_chat_id: int, new_chat_id: int, *, now: datetime
) -> int:
    """Move the pending rows of a group that became a supergroup; return how many moved.

    A row the new chat already has (same slot and part, planned after the migration) stays
    behind as dropped, so nothing arrives twice. The new chat's pending rows are due at once:
    a lease taken under the old id protects nothing any more.
    """
    other = outbox.alias("other")
    taken = (
        select(other.c.id)
        .where(other.c.chat_id == new_chat_id, other.c.slot == _o.slot, other.c.part == _o.part)
        .exists()
    )
    pending = (_o.chat_id == old_chat_id, _o.status == "pending")
    move = update(outbox).where(*pending, ~taken).values(chat_id=new_chat_id)
    drop = update(outbox).where(*pending).values(status="dropped", last_error="chat migrated")
    release = (
        update(outbox)
        .where(_o.chat_id == new_chat_id, _o.status == "pending", _o.next_attempt_at > now)
        .values(next_attempt_at=now)
    )
    moved = (await conn.execute(move)).rowcount
    await conn.execute(drop)
    await conn.execute(release)
    return moved


async def next_attempt_at(store: Store) -> datetime | None:
    """Return when the earliest pending row may be tried (None when nothing is pending)."""
    stmt = select(func.min(_o.next_attempt_at)).where(_o.status == "pending")
    async with store.connect() as conn:
        return as_utc((await conn.execute(stmt)).scalar_one())


async def outbox_stats(store: Store, *, now: datetime, since: datetime) -> dict[str, float]:
    """Return pending, oldest_pending_age_s, and sent, failed, dropped since `since`."""
    finished = func.coalesce(_o.sent_at, _o.next_attempt_at)

    def count(status: str) -> ColumnElement[int]:
        return func.count().filter(_o.status == status, finished >= since)

    stmt = select(
        func.count().filter(_o.status == "pending"),
        func.min(_o.created_at).filter(_o.status == "pending"),
        count("sent"),
        count("failed"),
        count("dropped"),
    )
    async with store.connect() as conn:
        row = (await conn.execute(stmt)).one()
    oldest = as_utc(row[1])
    return {
        "pending": float(row[0]),
        "oldest_pending_age_s": (now - oldest).total_seconds() if oldest else 0.0,
        "sent": float(row[2]),
        "failed": float(row[3]),
        "dropped": float(row[4]),
    }


async def purge_finished(store: Store, *, before: datetime) -> int:
    """Delete sent, failed and dropped rows created before `before`; return how many.

    Slots that old are never planned again (the schedule only moves forward), so the unique
    key they held has nothing left to protect.
    """
    stmt = delete(outbox).where(_o.status != "pending", _o.created_at < before)
    async with store.begin() as conn:
        return (await conn.execute(stmt)).rowcount

"""A chat as a whole: moving it to its supergroup id, and stopping a chat that is gone."""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlalchemy import select

from news.chats import deactivate_chat, move_chat
from news.storage import outbox
from news.storage.db import Store
from news.storage.searches import get_search, save_search
from news.storage.subscriptions import get_subscription
from news.storage.tables import outbox as outbox_table
from tests.news.test_subscriptions import sub

NOW = datetime(2026, 1, 10, 6, 0, tzinfo=UTC)


async def queue(store: Store, chat_id: int, parts: list[str], slot: str = "digest:x") -> None:
    async with store.begin() as conn:
        await outbox.enqueue(
            conn, chat_id=chat_id, slot=slot, parts=parts, link_previews=False, now=NOW
        )


async def outbox_rows(store: Store) -> list[tuple[int, int, str]]:
    """Return (chat_id, part, status) of every outbox row, oldest first."""
    stmt = select(outbox_table.c.chat_id, outbox_table.c.part, outbox_table.c.status)
    async with store.connect() as conn:
        rows = await conn.execute(stmt.order_by(outbox_table.c.id))
        return [(r.chat_id, r.part, r.status) for r in rows]


async def test_move_chat_moves_subscription_pending_messages_and_searches(
    any_store: Store,
) -> None:
    old, new = -100, -1001234567890
    await sub(any_store, old, chat_type="group")
    await queue(any_store, old, ["a", "b"])
    search_id = await save_search(any_store, old, "harbour", now=NOW)

    move = await move_chat(any_store, old, new, now=NOW)

    assert (move.subscription, move.messages, move.searches) == (True, 2, 1)
    assert await get_subscription(any_store, old) is None
    moved = await get_subscription(any_store, new)
    assert moved is not None
    assert moved.active
    assert set(await outbox_rows(any_store)) == {(new, 0, "pending"), (new, 1, "pending")}
    assert await get_search(any_store, search_id, new) == "harbour"
    assert await get_search(any_store, search_id, old) is None
    again = await move_chat(any_store, old, new, now=NOW)
    assert (again.subscription, again.messages, again.searches) == (False, 0, 0)


async def test_move_chat_onto_an_existing_subscription_keeps_the_new_one(
    any_store: Store,
) -> None:
    await sub(any_store, -100, chat_type="group", times=(time(6, 0),))
    await sub(any_store, -1009, chat_type="supergroup", times=(time(9, 0),))
    assert not (await move_chat(any_store, -100, -1009, now=NOW)).subscription
    assert await get_subscription(any_store, -100) is None
    kept = await get_subscription(any_store, -1009)
    assert kept is not None
    assert kept.digest_times == ("09:00",)


async def test_moved_messages_are_due_at_once(any_store: Store) -> None:
    await queue(any_store, -7, ["part 0", "part 1"])
    # A sender claimed them under the old id (a lease of ten minutes) before the migration.
    await outbox.claim_batch(any_store, now=NOW, limit=10, lease_seconds=600)

    await move_chat(any_store, -7, -1007, now=NOW)

    claimed = await outbox.claim_batch(any_store, now=NOW, limit=10)
    assert [(m.chat_id, m.text) for m in claimed] == [(-1007, "part 0"), (-1007, "part 1")]


async def test_a_refused_chat_is_stopped_and_its_pending_messages_dropped(
    any_store: Store,
) -> None:
    await sub(any_store, 42)
    await sub(any_store, 43)
    await queue(any_store, 42, ["a", "b"])
    await queue(any_store, 43, ["c"])

    gone = await deactivate_chat(any_store, 42, now=NOW, refused="Forbidden: bot was blocked")

    assert (gone.was_active, gone.dropped) == (True, 2)
    stopped = await get_subscription(any_store, 42)
    assert stopped is not None
    assert (stopped.active, stopped.next_digest_at) == (False, None)
    other = await get_subscription(any_store, 43)
    assert other is not None
    assert other.active
    assert await outbox_rows(any_store) == [
        (42, 0, "dropped"),
        (42, 1, "dropped"),
        (43, 0, "pending"),
    ]
    again = await deactivate_chat(any_store, 42, now=NOW, refused="Forbidden")
    assert (again.was_active, again.dropped) == (False, 0)
    assert (await deactivate_chat(any_store, 7, now=NOW, refused="Forbidden")).was_active is False


async def test_a_removed_bot_stops_the_digests_and_leaves_the_messages_to_the_sender(
    any_store: Store,
) -> None:
    await sub(any_store, -42, chat_type="group")
    await queue(any_store, -42, ["a"])

    gone = await deactivate_chat(any_store, -42, now=NOW)

    assert (gone.was_active, gone.dropped) == (True, 0)
    stopped = await get_subscription(any_store, -42)
    assert stopped is not None
    assert not stopped.active
    assert await outbox_rows(any_store) == [(-42, 0, "pending")]

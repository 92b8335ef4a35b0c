"""The outbox claim: due rows oldest first, and never a later part before an earlier one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from news.storage import outbox
from news.storage.db import Store

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


async def enqueue(store: Store, chat_id: int, parts: int, slot: str = "2026-11-25T08:00") -> None:
    async with store.begin() as conn:
        texts = [f"chat {chat_id} part {n}" for n in range(parts)]
        await outbox.enqueue(
            conn, chat_id=chat_id, slot=slot, parts=texts, link_previews=False, now=NOW
        )


async def test_a_part_waits_while_an_earlier_part_is_leased(any_store: Store) -> None:
    await enqueue(any_store, 1, parts=3)
    await enqueue(any_store, 2, parts=1)
    [first] = await outbox.claim_batch(any_store, now=NOW, limit=1, lease_seconds=60)
    assert (first.chat_id, first.part) == (1, 0)
    # Chat 1's later parts wait for part 0 (leased by a sender that may have died).
    others = await outbox.claim_batch(any_store, now=NOW, limit=10, lease_seconds=600)
    assert [(m.chat_id, m.part) for m in others] == [(2, 0)]
    # Once the lease runs out, chat 1 comes back in order.
    later = await outbox.claim_batch(any_store, now=NOW + timedelta(seconds=61), limit=10)
    assert [(m.chat_id, m.part) for m in later] == [(1, 0), (1, 1), (1, 2)]


async def test_a_claim_takes_the_oldest_due_rows_among_many(any_store: Store) -> None:
    for chat in range(1, 301):
        await enqueue(any_store, chat, parts=1)
    taken: list[int] = []
    for _ in range(4):
        batch = await outbox.claim_batch(any_store, now=NOW, limit=100)
        taken += [m.chat_id for m in batch]
    assert taken == list(range(1, 301))

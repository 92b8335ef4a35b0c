"""Crashes: `newsbot sender` killed with SIGKILL mid-drain loses no message and keeps each order.

The fake Bot API runs in this process with Telegram's caps (here 40 messages/s overall), so a
drain of 200 messages takes about five seconds; the sender runs as a child process that reaches
the fake over HTTP and is killed once the fake has about half of the messages.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import func, select

from harness.botapi import FakeBotAPI
from harness.wait import wait_until
from jobs.deliver import drain_once, max_in_flight, sender_bot
from news.settings import Settings
from news.storage import outbox
from news.storage.db import Store, open_store
from news.storage.tables import outbox as outbox_table
from tests.e2e.conftest import child_env, outbox_rows, start_newsbot

RATE = 40  # messages/s: the fake's cap and the sender's NEWSBOT_SEND_RATE
CHATS = range(10_001, 10_101)
PARTS = 2
SLOT = "digest:2026-11-25T08:00Z"
# The sender's lease on the rows it claimed (NEWSBOT_OUTBOX_LEASE_SECONDS): a killed sender's
# rows come back after it, so the restart waits up to this long.
LEASE = 10


def part_text(chat_id: int, part: int) -> str:
    """Return the markup of one part; the reader sees it without the tags."""
    return f"<b>Digest</b> for chat {chat_id}, part {part + 1} of {PARTS}"


def seen_text(chat_id: int, part: int) -> str:
    """Return what the reader sees of part_text()."""
    return f"Digest for chat {chat_id}, part {part + 1} of {PARTS}"


async def fill_outbox(store: Store, now: datetime) -> None:
    """Queue one two-part digest for each of the 100 chats, as the planner would."""
    async with store.begin() as conn:
        for chat_id in CHATS:
            parts = [part_text(chat_id, part) for part in range(PARTS)]
            await outbox.enqueue(
                conn, chat_id=chat_id, slot=SLOT, parts=parts, link_previews=False, now=now
            )


async def pending(store: Store) -> int:
    """Return how many outbox rows are still to be sent."""
    stmt = select(func.count()).where(outbox_table.c.status == "pending")
    async with store.connect() as conn:
        return int((await conn.execute(stmt)).scalar_one())


def delivered(api: FakeBotAPI) -> int:
    """Return how many messages the fake accepted."""
    return sum(1 for call in api.calls("sendMessage") if call.status == 200)


async def test_a_sender_killed_mid_drain_loses_nothing(
    bot_api: FakeBotAPI, tmp_path: Path
) -> None:
    bot_api.set_limits(global_rate=RATE)
    database = tmp_path / "newsbot.db"
    store = await open_store(f"sqlite:///{database}")
    try:
        await fill_outbox(store, datetime.now(UTC))
        total = len(CHATS) * PARTS
        env = child_env(
            bot_api,
            database,
            NEWSBOT_SEND_RATE=str(RATE),
            NEWSBOT_OUTBOX_LEASE_SECONDS=str(LEASE),
        )

        started = time.monotonic()
        with start_newsbot("sender", env, tmp_path) as first:

            async def half() -> bool:
                return delivered(bot_api) >= total // 2

            await wait_until(half, within=30, what="half of the messages at the fake")
            first.kill()
        at_kill = delivered(bot_api)
        killed_after = time.monotonic() - started
        # No row is marked sent that Telegram did not take; the rest wait for their lease.
        assert await pending(store) >= total - at_kill

        # Restarted as `newsbot run` (bot, worker and sender in one process, as systemd runs it).
        with start_newsbot("run", env, tmp_path) as second:

            async def drained() -> bool:
                return await pending(store) == 0

            restarted = time.monotonic()
            what = "an empty outbox after the restart"
            await wait_until(drained, within=LEASE + 20, what=what, every=0.2)
            waited = time.monotonic() - restarted
            status = second.stop()
        assert status == 0, second.text()

        rows = await outbox_rows(store)
    finally:
        await store.close()

    print(
        f"\ncrash: killed after {killed_after:.1f} s with {at_kill}/{total} delivered; "
        f"restart drained the rest in {waited:.1f} s; calls {bot_api.summary()['by_status']}"
    )
    assert {row["status"] for row in rows} == {"sent"}
    seen = {chat_id: bot_api.texts(chat_id) for chat_id in CHATS}
    for chat_id, texts in seen.items():
        # Every part arrived, and in order (a repeat can only be the part in flight).
        expected = [seen_text(chat_id, part) for part in range(PARTS)]
        assert list(dict.fromkeys(texts)) == expected, (chat_id, texts)
    copies = Counter(text for texts in seen.values() for text in texts)
    twice = sum(count - 1 for count in copies.values())
    # Only a send under way at the kill can repeat: Telegram took it, but the sender died
    # before its row was marked sent. The sender has at most max_in_flight sends under way.
    limit = max_in_flight(Settings(_env_file=None, send_rate=RATE))
    print(f"crash: {twice} message(s) sent twice (at most {limit} were in flight)")
    assert twice <= limit


async def test_after_a_crash_a_later_part_never_overtakes_an_earlier_one(
    store: Store, settings: Settings, bot_api: FakeBotAPI
) -> None:
    settings = settings.model_copy(
        update={"telegram_token": SecretStr(bot_api.token), "telegram_base_url": bot_api.base_url}
    )
    now = datetime.now(UTC)
    async with store.begin() as conn:
        parts = [part_text(10_001, 0), part_text(10_001, 1)]
        await outbox.enqueue(
            conn, chat_id=10_001, slot=SLOT, parts=parts, link_previews=False, now=now
        )
    # A sender whose batch ended between the two parts claims part 1 of 2, then dies.
    [claimed] = await outbox.claim_batch(store, now=now, limit=1, lease_seconds=2)
    assert claimed.part == 0

    async with sender_bot(settings) as bot:
        await drain_once(store, bot, settings, max_wait=5)

    assert bot_api.texts(10_001) == [seen_text(10_001, 0), seen_text(10_001, 1)]

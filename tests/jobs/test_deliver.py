"""The sender against the fake Bot API (real PTB Bot, real SQLite, PostgreSQL where it matters)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import select
from telegram import Bot

from harness.botapi import FakeBotAPI
from jobs.deliver import drain_once, max_in_flight, run_sender
from news.chats import deactivate_chat, move_chat
from news.settings import Settings
from news.storage import outbox
from news.storage.db import Store
from news.storage.searches import get_search, save_search
from news.storage.subscriptions import get_subscription
from news.storage.tables import outbox as outbox_table
from news.subscriptions import subscribe

ROOT = Path(__file__).resolve().parents[2]
ADMIN = 9001
SLOT = "2026-03-02T08:00"


@pytest.fixture
def sender_settings(settings: Settings) -> Settings:
    """Telegram's per-chat caps as configured by default, a faster overall rate, one admin."""
    return settings.model_copy(update={"send_rate": 100.0, "admin_ids": [ADMIN]})


@pytest.fixture
async def bot(bot_api: FakeBotAPI) -> AsyncIterator[Bot]:
    async with bot_api.make_bot() as b:
        yield b


def now() -> datetime:
    return datetime.now(UTC)


async def queue(store: Store, chat_id: int, parts: Sequence[str], slot: str = SLOT) -> None:
    async with store.begin() as conn:
        await outbox.enqueue(
            conn, chat_id=chat_id, slot=slot, parts=parts, link_previews=False, now=now()
        )


async def rows(store: Store) -> list[dict[str, object]]:
    async with store.connect() as conn:
        result = await conn.execute(select(outbox_table).order_by(outbox_table.c.id))
        return [dict(row._mapping) for row in result]


async def subscribed(store: Store, chat_id: int, chat_type: str = "private") -> None:
    await subscribe(
        store,
        chat_id,
        chat_type=chat_type,
        title=None,
        digest_times=[time(8, 0)],
        timezone="UTC",
        max_articles=10,
        now=now(),
    )


def send_times(bot_api: FakeBotAPI, chat_id: int) -> list[float]:
    return [c.at for c in bot_api.calls("sendMessage", chat_id=chat_id) if c.status == 200]


async def test_every_part_reaches_every_chat_in_order(
    any_store: Store, bot: Bot, bot_api: FakeBotAPI, sender_settings: Settings
) -> None:
    chats = range(101, 111)
    for chat_id in chats:
        await queue(any_store, chat_id, [f"<b>Digest</b> {chat_id} part {i}" for i in range(3)])

    stats = await drain_once(any_store, bot, sender_settings)

    assert stats.sent == 30
    for chat_id in chats:
        assert bot_api.texts(chat_id) == [f"Digest {chat_id} part {i}" for i in range(3)]
        times = send_times(bot_api, chat_id)
        assert all(b - a >= sender_settings.chat_interval for a, b in pairwise(times))
    # No head-of-line blocking: every chat got its first part before any chat got its second.
    firsts = [send_times(bot_api, c)[0] for c in chats]
    seconds = [send_times(bot_api, c)[1] for c in chats]
    assert max(firsts) < min(seconds)
    stored = await rows(any_store)
    assert {r["status"] for r in stored} == {"sent"}
    assert all(r["message_id"] is not None and r["sent_at"] is not None for r in stored)


async def test_flood_control_resends_the_same_row_after_retry_after(
    store: Store, bot: Bot, bot_api: FakeBotAPI, sender_settings: Settings
) -> None:
    await queue(store, 201, ["Morning digest"])
    bot_api.fail_next(1, status=429, retry_after=1)

    stats = await drain_once(store, bot, sender_settings, max_wait=5)

    calls = bot_api.calls("sendMessage", chat_id=201)
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].at - calls[0].at >= 1.0
    assert bot_api.texts(201) == ["Morning digest"]
    (row,) = await rows(store)
    assert (row["status"], row["attempts"]) == ("sent", 1)
    assert stats.rate_limited == 1


async def test_blocked_user_is_unsubscribed_and_its_messages_dropped(
    any_store: Store, bot: Bot, bot_api: FakeBotAPI, sender_settings: Settings
) -> None:
    await subscribed(any_store, 301)
    await queue(any_store, 301, ["part one", "part two"])
    await queue(any_store, 302, ["for someone else"])
    bot_api.block(301)

    stats = await drain_once(any_store, bot, sender_settings)

    sub = await get_subscription(any_store, 301)
    assert sub is not None
    assert (sub.active, sub.next_digest_at) == (False, None)
    assert [r["status"] for r in await rows(any_store)] == ["dropped", "dropped", "sent"]
    assert len(bot_api.calls("sendMessage", chat_id=301)) == 1
    assert bot_api.texts(302) == ["for someone else"]
    assert stats.dropped == 2


async def test_bad_html_fails_once_and_alerts_the_admins(
    store: Store, bot: Bot, bot_api: FakeBotAPI, sender_settings: Settings
) -> None:
    await queue(store, 401, ["<b>unclosed"])
    await queue(store, 402, ["fine &amp; dandy"])

    await drain_once(store, bot, sender_settings, max_wait=2)

    bad = (await rows(store))[0]
    assert bad["status"] == "failed"
    assert "can't parse entities" in str(bad["last_error"]).lower()
    assert len(bot_api.calls("sendMessage", chat_id=401)) == 1
    assert bot_api.texts(402) == ["fine & dandy"]
    (alert,) = bot_api.texts(ADMIN)
    assert "Delivery failed" in alert
    assert "chat 401" in alert
    assert "parse entities" in alert.lower()


async def test_a_group_that_became_a_supergroup_gets_its_digest_there(
    any_store: Store, bot: Bot, bot_api: FakeBotAPI, sender_settings: Settings
) -> None:
    bot_api.group(-4001, "Readers")
    await subscribed(any_store, -4001, "group")
    await queue(any_store, -4001, ["part one", "part two"])
    search_id = await save_search(any_store, -4001, "harbour", now=now())
    new_id = bot_api.migrate(-4001)

    stats = await drain_once(any_store, bot, sender_settings, max_wait=3)

    assert bot_api.texts(new_id) == ["part one", "part two"]
    assert await get_subscription(any_store, -4001) is None
    moved = await get_subscription(any_store, new_id)
    assert moved is not None
    assert moved.active
    assert [(r["chat_id"], r["status"]) for r in await rows(any_store)] == [(new_id, "sent")] * 2
    assert stats.migrated == 1
    assert await get_search(any_store, search_id, new_id) == "harbour"


async def test_network_errors_are_retried_with_backoff(
    store: Store, bot: Bot, bot_api: FakeBotAPI, sender_settings: Settings
) -> None:
    await queue(store, 501, ["through the storm"])
    bot_api.fail_next(1, status=502)
    bot_api.fail_next(1, status=0)  # the connection drops without an answer

    await drain_once(store, bot, sender_settings, max_wait=5, backoff_base=0.2)

    assert bot_api.texts(501) == ["through the storm"]
    (row,) = await rows(store)
    assert (row["status"], row["attempts"]) == ("sent", 2)


async def test_rows_of_a_crashed_sender_are_sent_after_their_lease(
    any_store: Store, bot: Bot, bot_api: FakeBotAPI, sender_settings: Settings
) -> None:
    await queue(any_store, 601, ["one", "two"])
    await queue(any_store, 602, ["three"])
    # A sender claims the rows and dies before sending anything.
    claimed = await outbox.claim_batch(any_store, now=now(), limit=10, lease_seconds=1)
    assert len(claimed) == 3

    assert (await drain_once(any_store, bot, sender_settings)).sent == 0
    stats = await drain_once(any_store, bot, sender_settings, max_wait=5)

    assert stats.sent == 3
    assert (bot_api.texts(601), bot_api.texts(602)) == (["one", "two"], ["three"])


async def test_run_sender_delivers_what_is_queued_while_it_runs(
    store: Store, bot: Bot, bot_api: FakeBotAPI, sender_settings: Settings
) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(run_sender(store, bot, sender_settings, stop=stop))
    await queue(store, 701, ["late news"])

    await bot_api.wait_sent(701, timeout=5)
    stop.set()
    await asyncio.wait_for(task, timeout=5)

    (row,) = await rows(store)
    assert row["status"] == "sent"


async def test_a_retried_part_holds_back_the_parts_after_it(any_store: Store) -> None:
    await queue(any_store, 801, ["part 0", "part 1", "part 2"])
    start = now()
    (first,) = await outbox.claim_batch(any_store, now=start, limit=1)
    await outbox.mark_retry(
        any_store, first.id, next_attempt_at=start + timedelta(seconds=30), error="RetryAfter"
    )

    # Without holding them back, parts 1 and 2 would go before part 0 (say, after a restart).
    assert await outbox.claim_batch(any_store, now=start + timedelta(seconds=1), limit=10) == []
    later = await outbox.claim_batch(any_store, now=start + timedelta(seconds=31), limit=10)
    assert [(m.text, m.attempts) for m in later] == [("part 0", 1), ("part 1", 0), ("part 2", 0)]


async def test_moving_a_chat_keeps_one_copy_of_each_part(any_store: Store) -> None:
    await queue(any_store, -5, ["old 0", "old 1"])
    await queue(any_store, -1005, ["new 0"])  # planned again for the supergroup already

    assert (await move_chat(any_store, -5, -1005, now=now())).messages == 1
    state = [(r["chat_id"], r["part"], r["status"]) for r in await rows(any_store)]
    assert state == [(-5, 0, "dropped"), (-1005, 1, "pending"), (-1005, 0, "pending")]


async def test_outbox_stats_count_what_happened(store: Store) -> None:
    await queue(store, 901, ["a", "b", "c", "d"])
    start = now()
    a, b, c, _ = await outbox.claim_batch(store, now=start, limit=10)
    await outbox.mark_sent(store, a.id, telegram_message_id=1, now=start)
    await outbox.mark_failed(store, b.id, error="Bad Request: boom", now=start)
    await outbox.mark_retry(store, c.id, next_attempt_at=start, error="Timed out")
    await queue(store, 902, ["e"])
    assert (await deactivate_chat(store, 902, now=start, refused="Forbidden")).dropped == 1

    stats = await outbox.outbox_stats(
        store, now=start + timedelta(seconds=10), since=start - timedelta(hours=24)
    )

    assert {k: stats[k] for k in ("pending", "sent", "failed", "dropped")} == {
        "pending": 2.0,
        "sent": 1.0,
        "failed": 1.0,
        "dropped": 1.0,
    }
    assert stats["oldest_pending_age_s"] >= 10.0


SENDER_PROCESS = """
import asyncio, sys
from jobs.deliver import Sender, sender_bot
from news.settings import Settings
from news.storage.db import open_store

async def main():
    url, token, base_url = sys.argv[1:4]
    settings = Settings(
        _env_file=None, database_url=url, telegram_token=token, telegram_base_url=base_url,
        send_rate=20,
    )
    store = await open_store(settings.database_url)
    async with sender_bot(settings) as bot:
        await Sender(store, bot, settings, lease_seconds=2).run(asyncio.Event())

asyncio.run(main())
"""


async def test_a_sender_killed_mid_drain_loses_nothing(
    store: Store, bot: Bot, bot_api: FakeBotAPI, sender_settings: Settings
) -> None:
    chats = range(1001, 1041)
    for chat_id in chats:
        await queue(store, chat_id, [f"digest for {chat_id}"])
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SENDER_PROCESS,
            sender_settings.database_url,
            bot_api.token,
            bot_api.base_url,
        ],
        cwd=ROOT,
    )
    try:
        await bot_api.wait_for(lambda: len(bot_api.calls("sendMessage")) >= 10, timeout=20)
    finally:
        process.kill()  # SIGKILL: no cleanup, rows stay claimed
        process.wait(timeout=10)

    await drain_once(store, bot, sender_settings, max_wait=5)

    received = {chat_id: bot_api.texts(chat_id) for chat_id in chats}
    assert all(texts and set(texts) == {f"digest for {c}"} for c, texts in received.items())
    twice = sum(len(texts) - 1 for texts in received.values())
    assert twice <= max_in_flight(sender_settings.model_copy(update={"send_rate": 20}))
    assert {r["status"] for r in await rows(store)} == {"sent"}

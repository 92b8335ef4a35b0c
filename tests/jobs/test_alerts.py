"""Alerts: each new matching story reaches the chat once, as soon as it is summarized."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from telegram import Bot

from harness.botapi import FakeBotAPI
from jobs.deliver import drain_once
from jobs.summarize import summarize_pending
from news import words
from news.alerts import add_alert
from news.chats import deactivate_chat
from news.filters import add_filter
from news.models import ParsedEntry
from news.settings import Settings
from news.storage import articles as article_store
from news.storage import feeds as feed_store
from news.storage import sources as source_store
from news.storage.db import Store
from news.storage.tables import articles, outbox
from tests.jobs.test_deliver import subscribed

CHAT, OTHER = 42, 43
NOW = datetime(2026, 3, 2, 9, 10, tzinfo=UTC)
TEXT = "The story in full, told over a few sentences. It goes on. And it ends here."


@pytest.fixture
async def bot(bot_api: FakeBotAPI) -> AsyncIterator[Bot]:
    async with bot_api.make_bot() as b:
        yield b


async def store_stories(store: Store, titles: list[str], *, feed: str = "wire") -> None:
    row, _ = await feed_store.add_feed(
        store, f"https://example.com/{feed}.xml", now=NOW, title=feed.title()
    )
    entries = [
        ParsedEntry(
            entry_hash=f"{feed}-{title}",
            title=title,
            text=f"{title}. {TEXT}",
            url=f"https://example.com/{feed}/{n}",
        )
        for n, title in enumerate(titles)
    ]
    await article_store.upsert_articles(store, row.id, entries, now=NOW)


async def alert_rows(store: Store) -> list[tuple[int, str, str, str]]:
    stmt = select(outbox.c.chat_id, outbox.c.slot, outbox.c.status, outbox.c.text).order_by(
        outbox.c.id
    )
    async with store.connect() as conn:
        return [tuple(row) for row in await conn.execute(stmt)]  # type: ignore[misc]


async def test_an_alert_arrives_once_per_article_within_one_summarize_round(
    any_store: Store, settings: Settings, bot: Bot, bot_api: FakeBotAPI
) -> None:
    await add_alert(any_store, CHAT, "volcano", now=NOW)
    await add_alert(any_store, CHAT, '"volcano erupts"', now=NOW)  # the same story: one message
    await add_alert(any_store, OTHER, "markets", now=NOW)
    await store_stories(any_store, ["Volcano erupts in Iceland", "Markets rally"])
    await summarize_pending(any_store, settings, now=lambda: NOW)
    await drain_once(any_store, bot, settings)
    [alert] = bot_api.sent(CHAT)
    assert alert.text.startswith("🔔 Alert · volcano")
    assert "Volcano erupts in Iceland" in alert.text
    assert alert.labels() == [words.BUTTON_STOP, words.BUTTON_TO_DIGEST]
    assert "Markets rally" in bot_api.sent(OTHER)[0].text

    # The worker dies after the round and the story is summarized again (its lease ran out,
    # or its text changed): the chat has been told, nothing is queued twice.
    async with any_store.begin() as conn:
        await conn.execute(update(articles).values(summarized_at=None, summary=None))
    await summarize_pending(any_store, settings, now=lambda: NOW + timedelta(minutes=5))
    await drain_once(any_store, bot, settings)
    assert len(bot_api.sent(CHAT)) == 1
    assert len(await alert_rows(any_store)) == 2


async def test_a_queued_alert_is_sent_once_after_the_worker_stops_before_sending(
    any_store: Store, settings: Settings, bot: Bot, bot_api: FakeBotAPI
) -> None:
    await add_alert(any_store, CHAT, "volcano", now=NOW)
    await store_stories(any_store, ["Volcano erupts"])
    await summarize_pending(any_store, settings, now=lambda: NOW)
    # No sender ran: the match and its message were committed together, nothing is lost.
    [(chat, slot, status, _)] = await alert_rows(any_store)
    assert (chat, slot.split(":")[0], status) == (CHAT, "alert", "pending")
    await summarize_pending(any_store, settings, now=lambda: NOW + timedelta(minutes=1))
    await drain_once(any_store, bot, settings)
    await drain_once(any_store, bot, settings)
    assert len(bot_api.sent(CHAT)) == 1


async def test_the_hourly_cap_folds_the_rest_into_one_message(
    any_store: Store, settings: Settings, bot: Bot, bot_api: FakeBotAPI
) -> None:
    capped = settings.model_copy(update={"alerts_per_hour": 2})
    await add_alert(any_store, CHAT, "volcano", now=NOW)
    await store_stories(any_store, [f"Volcano news {n}" for n in range(5)])
    await summarize_pending(any_store, capped, now=lambda: NOW)
    await drain_once(any_store, bot, capped)
    assert len(bot_api.sent(CHAT)) == 2  # the cap; the fold waits for the hour to end
    await store_stories(any_store, ["Volcano calms down"], feed="desk")
    await summarize_pending(any_store, capped, now=lambda: NOW + timedelta(minutes=1))
    await summarize_pending(any_store, capped, now=lambda: NOW + timedelta(hours=1))
    await drain_once(any_store, bot, capped)
    texts = [m.text for m in bot_api.sent(CHAT)]
    assert len(texts) == 3
    assert texts[-1] == words.alerts_more(4)


async def test_filters_apply_and_a_blocked_chat_gets_no_alerts(
    any_store: Store, settings: Settings
) -> None:
    await subscribed(any_store, OTHER)
    await add_alert(any_store, CHAT, "final", now=NOW)
    await add_filter(any_store, CHAT, "-football", now=NOW)
    await add_alert(any_store, OTHER, "final", now=NOW)
    await deactivate_chat(any_store, OTHER, now=NOW)
    await store_stories(any_store, ["Football cup final", "Chess final"])
    await summarize_pending(any_store, settings, now=lambda: NOW)
    queued = await alert_rows(any_store)
    assert [(chat, "Chess final" in text) for chat, _, _, text in queued] == [(CHAT, True)]


@pytest.mark.parametrize(
    ("query", "answer"),
    [
        ("-football", words.ALERT_ONLY_EXCLUDED),
        ("🙂 🙃", words.EMPTY_QUERY),
        ("the of and", words.EMPTY_QUERY),
        ("word " * 1000, words.QUERY_TOO_LONG),
    ],
    ids=["exclusions-only", "emoji-only", "stop-words", "5000-chars"],
)
async def test_odd_alerts_are_refused_with_a_reason(store: Store, query: str, answer: str) -> None:
    with pytest.raises(ValueError, match=answer[:20]):
        await add_alert(store, CHAT, query, now=NOW)


async def test_the_same_alert_twice_and_the_limit(store: Store) -> None:
    await add_alert(store, CHAT, '"open source', now=NOW)  # an unbalanced quote is fine
    with pytest.raises(ValueError, match=words.ALERT_EXISTS):
        await add_alert(store, CHAT, '"open source', now=NOW)
    for n in range(19):
        await add_alert(store, CHAT, f"word{n}", now=NOW)
    with pytest.raises(ValueError, match="20 alerts already"):
        await add_alert(store, CHAT, "one more", now=NOW)


async def test_a_source_read_only_in_digest_raises_no_alert(
    any_store: Store, settings: Settings
) -> None:
    await add_alert(any_store, CHAT, "eclipse", now=NOW)
    await add_alert(any_store, OTHER, "eclipse", now=NOW)
    await store_stories(any_store, ["Eclipse seen from the coast"], feed="quiet")
    [quiet] = [f for f in await feed_store.list_feeds(any_store) if f.title == "Quiet"]
    async with any_store.begin() as conn:
        await source_store.add(conn, CHAT, [quiet.id], NOW)
    await source_store.update_source(any_store, CHAT, quiet.id, digest_only=True)
    await summarize_pending(any_store, settings, now=lambda: NOW)
    queued = await alert_rows(any_store)
    assert [chat for chat, _, _, _ in queued] == [OTHER]

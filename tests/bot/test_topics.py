"""Groups with topics: digests go to the topic /subscribe was sent in, and so do replies;
/subscribe in another topic moves them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.telegram.app import NewsApp
from harness.botapi import ChatMessage, FakeBotAPI
from jobs.deliver import drain_once
from jobs.plan import plan_due_digests
from jobs.summarize import summarize_pending
from news.alerts import add_alert
from news.models import ParsedEntry
from news.settings import Settings
from news.storage import articles as article_store
from news.storage.db import Store
from news.storage.feeds import add_feed
from news.storage.subscriptions import get_subscription
from news.storage.tables import outbox
from tests.bot.conftest import Clock, add_articles, bot_settings

FORUM, OWNER = -100777, 700


async def said(api: FakeBotAPI, text: str, topic: int) -> ChatMessage:
    before = len(api.sent(FORUM))
    api.send(FORUM, text, user_id=OWNER, thread_id=topic)
    return (await api.wait_sent(FORUM, before + 1))[before]


def topic_of(message: ChatMessage) -> object:
    return message.extra.get("message_thread_id")


async def test_digests_and_replies_go_to_the_topic_of_subscribe(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store, settings: Settings, clock: Clock
) -> None:
    bot_api.group(FORUM, "Newsroom", owner=OWNER, forum=True)
    await add_articles(store, clock() - timedelta(hours=1), ["Harbour reopens", "Rail strike"])
    reply = await said(bot_api, "/subscribe", topic=7)
    assert reply.text.startswith("✅ Subscribed.")
    assert topic_of(reply) == 7
    sub = await get_subscription(store, FORUM)
    assert sub is not None
    assert sub.thread_id == 7

    await plan_due_digests(store, settings, now=clock.advance(days=1))
    async with bot_api.make_bot() as sender_bot:
        await drain_once(store, sender_bot, bot_settings(settings, bot_api))
    digest = bot_api.sent(FORUM)[-1]
    assert "Harbour reopens" in digest.text
    assert topic_of(digest) == 7

    moved = await said(bot_api, "/subscribe", topic=9)
    assert topic_of(moved) == 9
    sub = await get_subscription(store, FORUM)
    assert sub is not None
    assert sub.thread_id == 9
    asked = await said(bot_api, "/digest", topic=9)
    assert topic_of(asked) == 9


async def test_alerts_of_a_forum_go_to_its_topic(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store, settings: Settings, clock: Clock
) -> None:
    bot_api.group(FORUM, "Newsroom", owner=OWNER, forum=True)
    await said(bot_api, "/subscribe", topic=7)
    await add_alert(store, FORUM, "volcano", now=clock())
    await add_alert(store, OWNER, "volcano", now=clock())  # a private chat: no topic
    feed, _ = await add_feed(store, "https://example.com/volcano.xml", now=clock(), title="Wire")
    entry = ParsedEntry(
        entry_hash="v1",
        title="Volcano erupts again",
        url="https://example.com/v1",
        text="Volcano erupts again. " + "The island shook all night long. " * 5,
    )
    await article_store.upsert_articles(store, feed.id, [entry], now=clock())  # fmt: skip
    await summarize_pending(store, settings, now=clock)
    async with store.connect() as conn:
        rows = (await conn.execute(select(outbox.c.chat_id, outbox.c.thread_id))).all()
    assert sorted(rows) == sorted([(FORUM, 7), (OWNER, None)])

"""The bot as users meet it: the real Application polling the fake Bot API, a real database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from bot.telegram.app import ALLOWED_UPDATES, NewsApp, build_application, shutdown, startup
from harness.botapi import ChatMessage, FakeBotAPI
from harness.wait import wait_until
from news.models import ParsedEntry
from news.settings import Settings
from news.storage import articles as article_store
from news.storage.db import Store
from news.storage.feeds import add_feed

ADMIN = 900
USER = 501
BOT_NAME = "newsbot_test_bot"
START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


class Clock:
    """The bot's notion of now, moved by the test."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def bot_settings(settings: Settings, api: FakeBotAPI, **changes: object) -> Settings:
    """Return test settings pointed at the fake Bot API, with ADMIN as the bot's admin."""
    values: dict[str, object] = {
        "telegram_token": SecretStr(api.token),
        "telegram_base_url": api.base_url,
        "admin_ids": [ADMIN],
        "search_per_minute": 5,
    }
    return settings.model_copy(update=values | changes)


@asynccontextmanager
async def running_bot(
    settings: Settings, store: Store, api: FakeBotAPI, clock: Callable[[], datetime]
) -> AsyncIterator[NewsApp]:
    """Run the Application with long polling, as `newsbot bot` does, until the block ends."""
    api.set_limits(enabled=False)
    app = build_application(settings, store, clock=clock)
    async with app:
        await startup(app)
        assert app.updater is not None
        await app.updater.start_polling(
            poll_interval=0.0, timeout=1, allowed_updates=ALLOWED_UPDATES
        )
        await app.start()
        try:
            yield app
        finally:
            try:
                if app.updater.running:
                    await app.updater.stop()
            finally:
                if app.running:
                    await app.stop()
                await shutdown(app)


@pytest.fixture
async def bot(
    settings: Settings,
    store: Store,
    bot_api: FakeBotAPI,
    clock: Clock,
) -> AsyncIterator[NewsApp]:
    """The running bot on a fresh SQLite database."""
    async with running_bot(bot_settings(settings, bot_api), store, bot_api, clock) as app:
        yield app


async def say(
    api: FakeBotAPI, chat_id: int, text: str, *, user_id: int | None = None, replies: int = 1
) -> list[str]:
    """A user writes `text`; return the texts of the bot's new messages in that chat."""
    before = len(api.sent(chat_id))
    api.send(chat_id, text, user_id=user_id)
    messages = await api.wait_sent(chat_id, before + replies)
    return [m.text for m in messages[before:]]


async def press(
    api: FakeBotAPI,
    chat_id: int,
    label: str | None = None,
    *,
    data: str | None = None,
    user_id: int | None = None,
    message_id: int | None = None,
) -> dict[str, object]:
    """A user presses a button; return the bot's answerCallbackQuery parameters."""
    if user_id is None and chat_id > 0:
        user_id = chat_id  # in a private chat the chat is the user
    query_id = api.press(chat_id, label, data=data, user_id=user_id, message_id=message_id)
    return await api.wait_answer(query_id)


async def add_articles(
    store: Store,
    at: datetime,
    titles: list[str],
    *,
    feed_url: str = "https://example.com/feed.xml",
    feed_title: str = "Example News",
) -> list[int]:
    """Store summarized articles fetched at `at`; return their ids."""
    feed, _ = await add_feed(store, feed_url, now=at, title=feed_title)
    entries = [
        ParsedEntry(
            entry_hash=f"{feed.id}-{title}",
            title=title,
            url=f"https://example.com/{index}-{feed.id}",
            published_at=at - timedelta(minutes=5),
            text=f"{title}. A longer text about {title.lower()} follows here.",
        )
        for index, title in enumerate(titles)
    ]
    await article_store.upsert_articles(store, feed.id, entries, now=at)
    found = await article_store.articles_between(
        store, since=at - timedelta(days=1), until=at, feed_ids=[feed.id]
    )
    for article in found:
        await article_store.set_summary(
            store, article.id, summary=f"Summary of {article.title}.", language="en", now=at
        )
    return sorted(a.id for a in found)


def reply(api: FakeBotAPI, chat_id: int, to: ChatMessage, text: str) -> None:
    """The user answers the bot's message `to` with `text` (Telegram's reply)."""
    state = api.state
    with state.cond:
        extra = {"reply_to_message": state.message_json(to)}
        message = state.new_message(chat_id, text, from_bot=False, user_id=chat_id, extra=extra)
        state.push_update("message", state.message_json(message))


async def eventually(check: Callable[[], Awaitable[object]], expected: object) -> None:
    """Wait until `await check()` returns `expected` (the bot works in the background)."""

    async def reached() -> bool:
        return await check() == expected

    await wait_until(reached, within=5.0, every=0.02, what=f"expected {expected!r}")

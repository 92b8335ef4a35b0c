"""The main scenario on PostgreSQL: subscribe, settings, /digest, /search with its buttons."""

from __future__ import annotations

from datetime import timedelta

from harness.botapi import FakeBotAPI
from news import words
from news.settings import Settings
from news.storage.db import Store
from news.storage.subscriptions import get_subscription
from tests.bot.conftest import USER, Clock, add_articles, bot_settings, press, running_bot, say


async def test_subscriber_on_postgres(
    settings: Settings, pg_store: Store, bot_api: FakeBotAPI, clock: Clock
) -> None:
    titles = [f"Harbour news {n}" for n in range(1, 7)]
    await add_articles(pg_store, clock() - timedelta(minutes=30), titles)
    async with running_bot(bot_settings(settings, bot_api), pg_store, bot_api, clock):
        await say(bot_api, USER, "/start subscribe")
        await say(bot_api, USER, "/settings")
        await press(bot_api, USER, "Articles")
        await press(bot_api, USER, "3")
        [digest] = await say(bot_api, USER, "/digest")
        assert sum(line.startswith("Harbour news") for line in digest.splitlines()) == 3
        assert (await say(bot_api, USER, "/digest"))[0].startswith("Nothing new since")

        [results] = await say(bot_api, USER, "/search harbour")
        assert results.startswith("🔎 Results for “harbour”")
        await press(bot_api, USER, words.BUTTON_NEXT)
        assert "6. " in bot_api.sent(USER)[-1].text
        await press(bot_api, USER, "6")
        assert bot_api.sent(USER)[-1].text.startswith("Harbour news ")
    sub = await get_subscription(pg_store, USER)
    assert sub is not None
    assert sub.max_articles == 3
    assert sub.last_digest_at == clock()

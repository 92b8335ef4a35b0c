"""/alert, /alerts, their Stop button, and "Alert me" under search results."""

from __future__ import annotations

from datetime import timedelta

from bot.telegram.app import NewsApp
from harness.botapi import FakeBotAPI
from news import words
from news.storage.db import Store
from tests.bot.conftest import USER, Clock, add_articles, press, say


async def test_alerts_are_saved_listed_and_stopped(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store, clock: Clock
) -> None:
    assert (await say(bot_api, USER, "/alert"))[0].startswith("🔔 Alerts send you")
    [saved] = await say(bot_api, USER, "/alert volcano")
    assert saved.startswith("🔔 Alert saved: volcano")
    assert await say(bot_api, USER, "/alert volcano") == [words.bad_query(words.ALERT_EXISTS)]
    assert await say(bot_api, USER, "/alert -sport") == [
        words.bad_query(words.ALERT_ONLY_EXCLUDED)
    ]
    [listed] = await say(bot_api, USER, "/alerts")
    assert listed.splitlines()[1:] == ["1. volcano"]
    answer = await press(bot_api, USER, f"{words.BUTTON_STOP} 1")
    assert answer["text"] == words.ALERT_STOPPED
    assert await say(bot_api, USER, "/alerts") == [words.NO_ALERTS]


async def test_alert_me_under_search_results_saves_the_search(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store, clock: Clock
) -> None:
    await add_articles(store, clock() - timedelta(hours=1), ["Harbour reopens"])
    await say(bot_api, USER, "/search harbour")
    before = len(bot_api.sent(USER))
    await press(bot_api, USER, words.BUTTON_ALERT_ME)
    saved = (await bot_api.wait_sent(USER, before + 1))[-1]
    assert saved.text.startswith("🔔 Alert saved: harbour")

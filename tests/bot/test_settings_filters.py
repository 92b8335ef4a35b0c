"""/settings -> Filters: the chat's filters with a Remove button each, how to add one, Back."""

from __future__ import annotations

from harness.botapi import FakeBotAPI
from news import words
from news.filters import listed_filters
from news.settings import Settings
from news.storage.db import Store
from news.storage.feeds import add_feed
from tests.bot.conftest import USER, Clock, bot_settings, press, running_bot, say

OTHER = 777


async def test_the_filters_screen_lists_removes_and_goes_back(
    settings: Settings, any_store: Store, bot_api: FakeBotAPI, clock: Clock
) -> None:
    feed, _ = await add_feed(any_store, "https://wire.example/feed", now=clock(), title="Wire")
    async with running_bot(bot_settings(settings, bot_api), any_store, bot_api, clock):
        await say(bot_api, USER, "/start subscribe")
        await say(bot_api, USER, "/settings")
        await press(bot_api, USER, words.BUTTON_FILTERS)
        empty = bot_api.sent(USER)[-1]
        assert empty.text.startswith(words.NO_FILTERS)
        assert "/filter WORDS" in empty.text
        assert empty.labels() == [words.BUTTON_BACK]

        await say(bot_api, USER, "/filter -sport")
        await say(bot_api, USER, f"/filter {feed.id} climate OR energy")
        await say(bot_api, USER, "/settings")
        await press(bot_api, USER, words.BUTTON_FILTERS)
        screen = bot_api.sent(USER)[-1]
        assert screen.text.splitlines()[:3] == [
            "🧹 Your filters (a story must pass them all)",
            "1. -sport",
            "2. climate OR energy (only Wire)",
        ]
        assert "/filter WORDS" in screen.text
        assert screen.labels() == [
            f"{words.BUTTON_REMOVE} 1",
            f"{words.BUTTON_REMOVE} 2",
            words.BUTTON_BACK,
        ]

        answer = await press(bot_api, USER, f"{words.BUTTON_REMOVE} 1")
        assert answer["text"] == words.FILTER_REMOVED
        edited = bot_api.sent(USER)[-1]
        assert edited.message_id == screen.message_id
        assert edited.text.splitlines()[0] == "✅ Filter removed."
        assert "1. climate OR energy (only Wire)" in edited.text
        assert edited.labels() == [f"{words.BUTTON_REMOVE} 1", words.BUTTON_BACK]
        [(left, _)] = await listed_filters(any_store, USER)
        assert left.query == "climate OR energy"

        await press(bot_api, USER, words.BUTTON_BACK)
        main = bot_api.sent(USER)[-1]
        assert main.text.startswith(words.SETTINGS_TITLE.replace("<b>", "").replace("</b>", ""))
        assert words.BUTTON_FILTERS in main.labels()


async def test_a_remove_button_only_removes_the_chats_own_filter(
    settings: Settings, store: Store, bot_api: FakeBotAPI, clock: Clock
) -> None:
    async with running_bot(bot_settings(settings, bot_api), store, bot_api, clock):
        await say(bot_api, OTHER, "/start subscribe")
        await say(bot_api, OTHER, "/filter -ads")
        [(theirs, _)] = await listed_filters(store, OTHER)
        await say(bot_api, USER, "/start subscribe")
        await say(bot_api, USER, "/settings")
        await press(bot_api, USER, words.BUTTON_FILTERS)

        forged = f"st:filter-remove:{theirs.id}"
        answer = await press(bot_api, USER, words.BUTTON_BACK, data=forged)
        assert answer["text"] == words.FILTER_GONE
        assert [f.query for f, _ in await listed_filters(store, OTHER)] == ["-ads"]
        stale = await press(bot_api, USER, words.BUTTON_BACK, data="st:filter-remove:x")
        assert stale["text"] == words.STALE_BUTTON

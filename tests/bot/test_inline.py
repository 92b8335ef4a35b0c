"""Inline mode: `@bot words` lists matching stories; the empty query, the rate limit."""

from __future__ import annotations

from datetime import timedelta

from bot.telegram.inline import PER_MINUTE
from harness.botapi import FakeBotAPI
from news.settings import Settings
from news.storage.db import Store
from tests.bot.conftest import USER, Clock, add_articles, bot_settings, running_bot, say

STRANGER = 777  # never started the bot


async def test_inline_results_for_a_known_story(
    settings: Settings, any_store: Store, bot_api: FakeBotAPI, clock: Clock
) -> None:
    await add_articles(any_store, clock() - timedelta(minutes=30), ["Harbour reopens", "Rates"])
    async with running_bot(bot_settings(settings, bot_api), any_store, bot_api, clock):
        answer = await bot_api.wait_answer(bot_api.inline(STRANGER, "harbour"))
        [result] = answer["results"]
        assert result["type"] == "article"
        assert result["title"] == "Harbour reopens"
        assert result["description"].startswith("Summary of Harbour reopens")
        card = result["input_message_content"]
        assert "https://example.com/0-1" in card["message_text"]
        assert card["parse_mode"] == "HTML"
        bot_api.choose(STRANGER, result["id"], "harbour")

        latest = await bot_api.wait_answer(bot_api.inline(STRANGER, ""))
        assert {r["title"] for r in latest["results"]} == {"Harbour reopens", "Rates"}
        assert latest["is_personal"] is True

        await say(bot_api, USER, "/start subscribe")
        await say(bot_api, USER, "/filter -rates")
        mine = await bot_api.wait_answer(bot_api.inline(USER, ""))
        assert [r["title"] for r in mine["results"]] == ["Harbour reopens"]

        odd = await bot_api.wait_answer(bot_api.inline(STRANGER, '🙂 "unbalanced'))
        assert odd["results"] == []


async def test_inline_queries_at_30_a_second_are_all_answered(
    settings: Settings, store: Store, bot_api: FakeBotAPI, clock: Clock
) -> None:
    await add_articles(store, clock() - timedelta(minutes=30), ["Harbour reopens"])
    async with running_bot(bot_settings(settings, bot_api), store, bot_api, clock):
        ids = [bot_api.inline(STRANGER, "harbour") for _ in range(90)]
        answers = [await bot_api.wait_answer(query_id) for query_id in ids]
    # Every query is answered; past the per-minute allowance, without results.
    assert sum(bool(a["results"]) for a in answers) == PER_MINUTE
    assert not bot_api.calls("sendMessage")  # no error report reached an admin

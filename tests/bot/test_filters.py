"""/filter: saved filters drop and keep the right stories in /digest, and say how many."""

from __future__ import annotations

from datetime import timedelta

from harness.botapi import FakeBotAPI
from news import words
from news.settings import Settings
from news.storage.db import Store
from tests.bot.conftest import USER, Clock, add_articles, bot_settings, press, running_bot, say

TITLES = ["Football transfer news", "Climate summit opens", "Energy prices fall", "Sport results"]


async def test_filters_drop_and_keep_stories_and_the_digest_counts_them(
    settings: Settings, any_store: Store, bot_api: FakeBotAPI, clock: Clock
) -> None:
    await add_articles(any_store, clock() - timedelta(minutes=30), TITLES)
    async with running_bot(bot_settings(settings, bot_api), any_store, bot_api, clock):
        await say(bot_api, USER, "/start subscribe")
        [saved] = await say(bot_api, USER, '/filter -football -"sport results"')
        assert saved.startswith("🧹 Filter saved")
        [digest] = await say(bot_api, USER, "/digest")
        assert "Climate summit opens" in digest
        assert "Energy prices fall" in digest
        assert "Football" not in digest
        assert "Sport results" not in digest
        assert digest.splitlines()[-1] == "🧹 2 stories filtered out (/filter)"

        [listed] = await say(bot_api, USER, "/filter")
        assert listed.splitlines()[1] == '1. -football -"sport results"'
        await press(bot_api, USER, f"{words.BUTTON_REMOVE} 1")
        assert bot_api.sent(USER)[-1].text.startswith(words.NO_FILTERS)


async def test_a_filter_of_words_keeps_only_those(
    settings: Settings, store: Store, bot_api: FakeBotAPI, clock: Clock
) -> None:
    await add_articles(store, clock() - timedelta(minutes=30), TITLES)
    async with running_bot(bot_settings(settings, bot_api), store, bot_api, clock):
        await say(bot_api, USER, "/start subscribe")
        await say(bot_api, USER, "/filter climate OR energy")
        [digest] = await say(bot_api, USER, "/digest")
        assert "Climate summit opens" in digest
        assert "Energy prices fall" in digest
        assert "Football" not in digest
        assert digest.splitlines()[-1] == "🧹 2 stories filtered out (/filter)"


async def test_odd_filters_get_an_answer(
    settings: Settings, store: Store, bot_api: FakeBotAPI, clock: Clock
) -> None:
    async with running_bot(bot_settings(settings, bot_api), store, bot_api, clock):
        assert (await say(bot_api, USER, "/filter 🙂 🙃"))[0] == words.bad_query(words.EMPTY_QUERY)
        too_long = await say(bot_api, USER, "/filter " + "word " * 1000)
        assert too_long == [words.bad_query(words.QUERY_TOO_LONG)]
        [unbalanced] = await say(bot_api, USER, '/filter -"transfer news')
        assert unbalanced.startswith("🧹 Filter saved")
        exists = await say(bot_api, USER, '/filter -"transfer news')
        assert exists == [words.bad_query(words.FILTER_EXISTS)]
        for n in range(19):
            await say(bot_api, USER, f"/filter -word{n}")
        [refused] = await say(bot_api, USER, "/filter -one_more")
        assert refused == words.bad_query(words.too_many("filters", 20))


async def test_digest_buttons_mute_a_source_and_open_the_filters(
    settings: Settings, store: Store, bot_api: FakeBotAPI, clock: Clock
) -> None:
    at = clock() - timedelta(minutes=30)
    await add_articles(store, at, ["Rates rally"], feed_title="Wire")
    await add_articles(
        store, at, ["Cup final"], feed_url="https://example.com/s.xml", feed_title="Sports"
    )
    async with running_bot(bot_settings(settings, bot_api), store, bot_api, clock):
        await say(bot_api, USER, "/start subscribe")
        await say(bot_api, USER, "/digest")
        labels = bot_api.sent(USER)[-1].labels()
        assert sorted(labels) == sorted(
            [words.mute("Wire"), words.mute("Sports"), words.BUTTON_FILTER]
        )
        answer = await press(bot_api, USER, words.mute("Sports"))
        assert answer["text"] == words.muted("Sports")
        before = len(bot_api.sent(USER))
        await press(bot_api, USER, words.BUTTON_FILTER)
        screen = (await bot_api.wait_sent(USER, before + 1))[-1]
        assert screen.text.startswith(words.NO_FILTERS)
        clock.advance(minutes=5)
        later = clock() - timedelta(minutes=1)
        await add_articles(store, later, ["Bonds slip"], feed_title="Wire")
        await add_articles(
            store, later, ["Cup replay"], feed_url="https://example.com/s.xml", feed_title="Sports"
        )
        [digest] = await say(bot_api, USER, "/digest")
        assert "Bonds slip" in digest
        assert "Cup replay" not in digest

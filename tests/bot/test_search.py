"""/search: results with paging buttons, the per-result button, odd input, the per-chat limit."""

from __future__ import annotations

from datetime import timedelta

from bot.telegram.app import NewsApp
from harness.botapi import FakeBotAPI
from news import words
from news.storage.db import Store
from news.storage.feeds import remove_feed
from news.storage.searches import save_search
from tests.bot.conftest import USER, Clock, add_articles, press, say

OTHER = 502


async def test_search_pages_and_shows_an_article(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store, clock: Clock
) -> None:
    titles = [f"Climate report part {n}" for n in range(1, 8)] + ["Football results"]
    await add_articles(store, clock() - timedelta(hours=1), titles)
    [usage] = await say(bot_api, USER, "/search")
    assert usage.startswith("🔎 Search the articles")

    [first] = await say(bot_api, USER, "/search climate")
    assert first.startswith("🔎 Results for “climate” · page 1")
    assert "Football" not in first
    results = bot_api.sent(USER)[-1]
    assert results.labels() == [
        *["1", "2", "3", "4", "5"],
        words.BUTTON_NEXT,
        words.BUTTON_ALERT_ME,
        words.BUTTON_SHARE,
    ]

    answer = await press(bot_api, USER, words.BUTTON_NEXT)
    assert "text" not in answer or not answer["text"]
    edited = bot_api.sent(USER)[-1]
    assert edited.message_id == results.message_id
    assert "page 2" in edited.text
    assert "6. " in edited.text
    assert "7. " in edited.text
    assert edited.labels() == [
        *["6", "7"],
        words.BUTTON_PREVIOUS,
        words.BUTTON_ALERT_ME,
        words.BUTTON_SHARE,
    ]

    await press(bot_api, USER, "6")
    article = (await bot_api.wait_sent(USER, 3))[-1]
    assert "Climate report part" in article.text
    assert "Summary of Climate report" in article.text
    assert 'href="https://example.com/' in str(article.html)

    await press(bot_api, USER, words.BUTTON_PREVIOUS, message_id=results.message_id)
    assert "page 1" in bot_api.sent(USER)[1].text


async def test_deleted_article_and_foreign_search_are_stale(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store, clock: Clock
) -> None:
    await add_articles(store, clock() - timedelta(hours=1), ["Volcano erupts"])
    await say(bot_api, USER, "/search volcano")
    await remove_feed(store, 1)
    assert (await press(bot_api, USER, "1"))["text"] == words.ARTICLE_GONE
    # Another chat's saved search: its id is not this chat's to page through.
    foreign = await save_search(store, OTHER, "volcano", now=clock())
    answer = await press(bot_api, USER, "1", data=f"s:{foreign}:1")
    assert answer["text"] == words.SEARCH_EXPIRED


async def test_odd_queries_get_an_answer(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store, clock: Clock
) -> None:
    await add_articles(store, clock() - timedelta(hours=1), ["Open source wins"])
    queries = [
        '/search "open source',
        "/search (brackets) AND OR NOT -",
        "/search 🙂 🙃",
        "/search שלום עולם",
        "/search " + "word " * 900,
    ]
    for query in queries:
        clock.advance(seconds=20)  # stay under the per-chat limit
        [text] = await say(bot_api, USER, query)
        assert text.startswith("🔎"), query
    [found] = await say(bot_api, USER, '/search "open source"')
    assert "Open source wins" in found


async def test_search_limit_per_chat(bot: NewsApp, bot_api: FakeBotAPI, clock: Clock) -> None:
    for _ in range(5):
        [text] = await say(bot_api, USER, "/search anything")
        assert text.startswith("🔎")
    [refused] = await say(bot_api, USER, "/search anything")
    assert refused == words.SLOW_DOWN.format(n=5)
    [other] = await say(bot_api, OTHER, "/search anything")
    assert other.startswith("🔎")
    clock.advance(seconds=61)
    [again] = await say(bot_api, USER, "/search anything")
    assert again.startswith("🔎")

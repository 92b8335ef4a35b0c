"""The operator's admins: /addfeed (checked against a real local server), /removefeed, /stats."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.telegram.app import NewsApp
from harness.botapi import FakeBotAPI
from harness.feedserver import FeedServer
from jobs.plan import plan_due_digests
from jobs.poll import poll_due_feeds
from jobs.summarize import summarize_pending
from news import words
from news.fetch import Fetcher
from news.settings import Settings
from news.storage.db import Store
from news.storage.feeds import list_feeds
from news.storage.tables import outbox
from tests.bot.conftest import ADMIN, USER, Clock, add_articles, bot_settings, running_bot, say

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Local &amp; Fresh</title><link>http://example.org/</link>
<item><title>First</title><link>http://example.org/1</link><guid>1</guid></item>
<item><title>Second</title><link>http://example.org/2</link><guid>2</guid></item>
</channel></rss>"""
PAGE = b"<!doctype html><html><head><title>Hi</title></head><body><p>Not a feed</p></body></html>"


async def test_non_admins_are_refused(bot: NewsApp, bot_api: FakeBotAPI, store: Store) -> None:
    for command in ("/addfeed https://example.com/feed", "/removefeed 1", "/stats"):
        assert await say(bot_api, USER, command) == [words.NOT_ALLOWED]
    assert await list_feeds(store) == []


async def test_addfeed_checks_the_url_is_a_feed(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store, feed_server: FeedServer
) -> None:
    feed_url = feed_server.add("/local.xml", RSS, content_type="application/rss+xml")
    page_url = feed_server.add("/page.html", PAGE, content_type="text/html")
    missing = feed_server.url("/missing.xml")

    assert (await say(bot_api, ADMIN, "/addfeed"))[0].startswith("Usage:")
    [added] = await say(bot_api, ADMIN, f"/addfeed {feed_url}")
    assert added == "✅ Added 1. Local & Fresh (2 articles in it now)."
    [again] = await say(bot_api, ADMIN, f"/addfeed {feed_url}")
    assert again == "Already there: 1. Local & Fresh."
    [page] = await say(bot_api, ADMIN, f"/addfeed {page_url}")
    assert page.startswith("⚠️ That's not a feed I can read: ")
    [gone] = await say(bot_api, ADMIN, f"/addfeed {missing}")
    assert gone == "⚠️ I couldn't download it: HTTP 404 Not Found."
    [local] = await say(bot_api, ADMIN, "/addfeed file:///etc/passwd")
    assert local.startswith("🚫 I can't add that address: local files are not allowed here")
    assert [f.url for f in await list_feeds(store)] == [feed_url]


async def test_addfeed_refuses_private_addresses(
    settings: Settings,
    store: Store,
    bot_api: FakeBotAPI,
    clock: Clock,
    feed_server: FeedServer,
) -> None:
    feed_url = feed_server.add("/local.xml", RSS, content_type="application/rss+xml")
    strict = bot_settings(settings, bot_api, allow_private_networks=False)
    async with running_bot(strict, store, bot_api, clock):
        [refused] = await say(bot_api, ADMIN, f"/addfeed {feed_url}")
    assert refused == (
        "🚫 I can't add that address: refusing private address 127.0.0.1 for host 127.0.0.1."
    )
    assert await list_feeds(store) == []


async def test_removefeed_and_stats(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store, clock: Clock
) -> None:
    await add_articles(store, clock() - timedelta(hours=1), ["One", "Two"])
    await say(bot_api, USER, "/subscribe")
    [stats] = await say(bot_api, ADMIN, "/stats")
    assert "Subscribers: 1 (1 people, 0 groups, 0 channels; 0 stopped)" in stats
    assert "Feeds: 1 (0 failing)" in stats
    assert "Articles: 2" in stats
    assert "Last 24 h: 0 sent, 0 failed" in stats

    assert (await say(bot_api, ADMIN, "/removefeed one"))[0].startswith("Usage:")
    assert await say(bot_api, ADMIN, "/removefeed 99") == [
        "There is no feed 99. /feeds lists them."
    ]
    assert await say(bot_api, ADMIN, "/removefeed 1") == [
        "🗑 Removed 1. Example News and its articles."
    ]
    assert await list_feeds(store) == []

    [help_text] = await say(bot_api, ADMIN, "/help")
    assert "For admins" in help_text
    assert "/addfeed — Add a source: /addfeed URL" in help_text


async def test_a_feed_added_with_addfeed_is_downloaded_once_on_its_way_to_a_digest(
    bot: NewsApp,
    bot_api: FakeBotAPI,
    store: Store,
    settings: Settings,
    feed_server: FeedServer,
    clock: Clock,
) -> None:
    page = feed_server.url("/articles/quantum-chip.html")
    body = RSS.replace(b"http://example.org/1", page.encode())
    url = feed_server.add("/walk.xml", body, content_type="application/rss+xml", etag='"v1"')
    [added] = await say(bot_api, ADMIN, f"/addfeed {url}")
    assert added == "✅ Added 1. Local & Fresh (2 articles in it now)."
    [subscribed] = await say(bot_api, ADMIN, "/subscribe")
    assert subscribed.startswith("✅ Subscribed.")

    async with Fetcher(settings) as fetcher:
        report = await poll_due_feeds(store, fetcher, settings, now=clock)
    await summarize_pending(store, settings, now=clock)
    await plan_due_digests(store, settings, now=clock.advance(days=1))

    # The poll asked with the ETag /addfeed kept, and the server had nothing new to send.
    assert [r.status for r in report.results] == ["not_modified"]
    assert feed_server.count("/walk.xml") == 2
    assert feed_server.last("/walk.xml").headers.get("if-none-match") == '"v1"'
    async with store.connect() as conn:
        [digest] = (await conn.execute(select(outbox.c.text))).scalars().all()
    assert "First" in digest
    assert "Delft" in digest  # its summary, made from the article page
    assert "Second" in digest

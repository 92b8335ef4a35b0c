"""Feed health reaches people: a source failing for a day, or gone (410, or 404 for three
days), gets one line in the chat's next digest with a Remove button; /stats lists failing
feeds; a feed that moved for good (301/308) is updated in place."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.telegram.app import NewsApp
from harness.botapi import FakeBotAPI
from harness.feedserver import FeedServer
from jobs.plan import plan_due_digests
from jobs.poll import poll_due_feeds
from news.fetch import Fetcher
from news.settings import Settings
from news.sources import troubled_feeds
from news.storage.db import Store
from news.storage.feeds import list_feeds
from news.storage.sources import source_ids
from news.storage.tables import outbox
from tests.bot.conftest import ADMIN, USER, Clock, press, say
from tests.bot.test_sources import rss


async def poll(store: Store, settings: Settings, clock: Clock) -> None:
    async with Fetcher(settings) as fetcher:
        await poll_due_feeds(store, fetcher, settings, now=clock, all_feeds=True)


async def last_digest(store: Store) -> tuple[str, list[list[list[str]]]]:
    async with store.connect() as conn:
        stmt = select(outbox.c.text, outbox.c.buttons).order_by(outbox.c.id.desc()).limit(1)
        text, buttons = (await conn.execute(stmt)).one()
    return text, json.loads(buttons or "[]")


async def setup(bot_api: FakeBotAPI, feed_server: FeedServer) -> tuple[str, str]:
    good = feed_server.add("/good.xml", rss("Good News", ["G1"]))
    bad = feed_server.add("/bad.xml", rss("Bad News", ["B1"]))
    await say(bot_api, USER, "/subscribe")
    await say(bot_api, USER, f"/add {good}")
    await say(bot_api, USER, f"/add {bad}")
    return good, bad


async def test_a_gone_feed_says_so_in_the_next_digest_with_a_remove_button(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store, settings: Settings,
    feed_server: FeedServer, clock: Clock,
) -> None:  # fmt: skip
    _good, _bad = await setup(bot_api, feed_server)
    feed_server.add("/good.xml", rss("Good News", ["G2", "G1"]))
    feed_server.add("/bad.xml", b"gone", status=410)
    clock.advance(hours=1)
    await poll(store, settings, clock)
    await plan_due_digests(store, settings, now=clock.advance(days=1))
    text, buttons = await last_digest(store)
    assert "G2" in text
    assert "⚠️ <b>Bad News</b> seems gone (HTTP 410 Gone). Remove it?" in text
    [[label, data]] = buttons[-1]
    assert label == "🗑 Remove Bad News"
    bad_id = int(data.rsplit(":", 1)[1])
    answer = await press(bot_api, USER, data=data)
    assert answer["text"] == "Removed Bad News; it leaves your next digest."
    async with store.connect() as conn:
        assert bad_id not in await source_ids(conn, USER)


async def test_a_failure_is_news_after_a_day_and_a_404_is_gone_after_three(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store, settings: Settings,
    feed_server: FeedServer, clock: Clock,
) -> None:  # fmt: skip
    await setup(bot_api, feed_server)
    feed_server.add("/bad.xml", b"oops", status=500)
    clock.advance(hours=2)
    await poll(store, settings, clock)
    # Failing for two hours only: not news yet.
    assert await troubled_feeds(store, clock.advance(hours=1)) == {}

    feed_server.add("/bad.xml", b"missing", status=404)
    feed_server.add("/good.xml", rss("Good News", ["G3", "G2", "G1"]))
    clock.advance(days=1)
    await poll(store, settings, clock)
    await plan_due_digests(store, settings, now=clock.advance(hours=1))
    text, _ = await last_digest(store)
    assert "⚠️ <b>Bad News</b> has failed for a day (HTTP 404 Not Found). Remove it?" in text

    feed_server.add("/good.xml", rss("Good News", ["G4", "G3", "G2", "G1"]))
    clock.advance(days=2)
    await poll(store, settings, clock)
    await plan_due_digests(store, settings, now=clock.advance(hours=1))
    text, _ = await last_digest(store)
    assert "⚠️ <b>Bad News</b> seems gone (HTTP 404 Not Found). Remove it?" in text

    feed_server.add("/good.xml", rss("Good News", ["G5", "G4", "G3", "G2", "G1"]))
    clock.advance(minutes=5)
    await poll(store, settings, clock)
    [digest] = await say(bot_api, USER, "/digest")  # the digest asked for says it too
    assert "⚠️ Bad News seems gone (HTTP 404 Not Found). Remove it?" in digest
    assert "🗑 Remove Bad News" in bot_api.sent(USER)[-1].labels()

    [stats] = await say(bot_api, ADMIN, "/stats")
    assert "⚠️ Failing feeds\n" in stats
    assert ". Bad News: HTTP 404 Not Found (since " in stats


async def test_a_feed_that_moved_for_good_is_updated_in_place(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store, settings: Settings,
    feed_server: FeedServer, clock: Clock,
) -> None:  # fmt: skip
    old = feed_server.add("/old.xml", rss("Moving News", ["M1"]))
    new = feed_server.add("/new.xml", rss("Moving News", ["M1"]))
    temp = feed_server.add("/temp.xml", rss("Temporary", ["T1"]))
    await say(bot_api, USER, f"/add {old}")
    await say(bot_api, USER, f"/add {temp}")
    feed_server.redirect("/old.xml", new, status=301)
    feed_server.redirect("/temp.xml", feed_server.url("/elsewhere.xml"), status=302)
    feed_server.add("/elsewhere.xml", rss("Temporary", ["T1"]))
    clock.advance(hours=1)
    await poll(store, settings, clock)
    assert sorted(f.url for f in await list_feeds(store)) == sorted([new, temp])
    [again] = await say(bot_api, USER, f"/add {new}")
    assert again.startswith("Already in your sources: Moving News")

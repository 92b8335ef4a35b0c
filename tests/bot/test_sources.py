"""Everyone's sources through the real bot: /add (feeds, home pages, links), /sources, limits.

On SQLite and PostgreSQL: two chats sharing one feed get it polled once and each sees it in
its digest; one removing it leaves the other alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.telegram.app import NewsApp
from harness.botapi import FakeBotAPI
from harness.feedserver import FeedServer
from jobs.plan import plan_due_digests
from jobs.poll import poll_due_feeds
from news import words
from news.fetch import Fetcher
from news.settings import Settings
from news.storage.db import Store
from news.storage.feeds import list_feeds
from news.storage.sources import source_ids
from news.storage.tables import chat_sources, outbox
from tests.bot.conftest import USER, Clock, bot_settings, press, running_bot, say

OTHER = 502


def rss(title: str, items: list[str]) -> bytes:
    """Return an RSS document with these item titles (newest first)."""
    entries = "".join(
        f"<item><title>{t}</title><link>http://example.org/{n}-{t}</link><guid>{t}</guid>"
        f"<description>{t}. Some words about {t.lower()} here.</description></item>"
        for n, t in enumerate(items)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>http://example.org/</link>{entries}</channel></rss>"
    ).encode()


def home(*links: tuple[str, str, str]) -> bytes:
    """Return a home page naming feeds with <link rel="alternate"> (type, href, title)."""
    tags = "".join(
        f'<link rel="alternate" type="{kind}" href="{href}" title="{title}">'
        for kind, href, title in links
    )
    page = f"<!doctype html><html><head><title>Home</title>{tags}</head><body>Hi</body></html>"
    return page.encode()


@pytest.fixture
async def any_bot(
    settings: Settings, any_store: Store, bot_api: FakeBotAPI, clock: Clock
) -> AsyncIterator[NewsApp]:
    """The running bot on SQLite and on PostgreSQL."""
    async with running_bot(bot_settings(settings, bot_api), any_store, bot_api, clock) as app:
        yield app


async def digests(store: Store, chat_id: int) -> list[str]:
    async with store.connect() as conn:
        stmt = select(outbox.c.text).where(outbox.c.chat_id == chat_id).order_by(outbox.c.id)
        return list((await conn.execute(stmt)).scalars())


async def test_two_chats_share_a_feed_polled_once_and_each_removes_it_alone(
    any_bot: NewsApp,
    bot_api: FakeBotAPI,
    any_store: Store,
    settings: Settings,
    feed_server: FeedServer,
    clock: Clock,
) -> None:
    url = feed_server.add(
        "/shared.xml", rss("Shared News", ["Alpha", "Beta", "Gamma", "Delta"]), etag='"v1"'
    )
    await say(bot_api, USER, "/subscribe")
    await say(bot_api, OTHER, "/subscribe")
    [added] = await say(bot_api, USER, f"/add {url}")
    assert added.startswith("✅ Added to your sources: Shared News\nNewest:\n• Alpha\n• Beta")
    assert "Delta" not in added  # three newest only
    # Another spelling of the same feed: the same feed, not read again.
    variant = url.replace("http://", "HTTP://").replace("/shared.xml", "/shared.xml/#top")
    [again] = await say(bot_api, OTHER, f"/add {variant}")
    assert again.startswith("✅ Added to your sources: Shared News")
    assert len(await list_feeds(any_store)) == 1
    assert feed_server.count("/shared.xml") == 1
    [twice] = await say(bot_api, USER, f"/add {url}")
    assert twice.startswith("Already in your sources: Shared News")

    async with Fetcher(settings) as fetcher:
        report = await poll_due_feeds(any_store, fetcher, settings, now=clock)
    assert [r.status for r in report.results] == ["not_modified"]  # one poll for both chats
    await plan_due_digests(any_store, settings, now=clock.advance(days=1))
    [mine] = await digests(any_store, USER)
    [theirs] = await digests(any_store, OTHER)
    assert "Alpha" in mine
    assert "Alpha" in theirs

    # USER removes it from /sources; OTHER keeps it.
    [listing] = await say(bot_api, USER, "/sources")
    assert listing.startswith("Your sources (1)\n1. Shared News\n")
    assert "4 this week" in listing
    answer = await press(bot_api, USER, f"1. {words.BUTTON_REMOVE}")
    assert answer.get("text") == "Removed Shared News; it leaves your next digest."
    assert bot_api.sent(USER)[-1].text == words.NO_SOURCES.replace("<code>", "").replace(
        "</code>", ""
    )
    feed_server.add("/shared.xml", rss("Shared News", ["Epsilon", "Alpha"]), etag='"v2"')
    async with Fetcher(settings) as fetcher:
        await poll_due_feeds(any_store, fetcher, settings, now=clock, all_feeds=True)
    await plan_due_digests(any_store, settings, now=clock.advance(days=1))
    assert len(await digests(any_store, USER)) == 1
    assert "Epsilon" in (await digests(any_store, OTHER))[-1]

    # /feeds is /sources.
    [theirs_listed] = await say(bot_api, OTHER, "/feeds")
    assert theirs_listed.startswith("Your sources (1)")


async def test_a_feed_nobody_reads_is_not_polled(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store, settings: Settings, feed_server: FeedServer,
    clock: Clock,
) -> None:  # fmt: skip
    url = feed_server.add("/lonely.xml", rss("Lonely", ["One"]))
    await say(bot_api, USER, f"/add {url}")
    await say(bot_api, USER, "/sources")
    await press(bot_api, USER, f"1. {words.BUTTON_REMOVE}")
    async with Fetcher(settings) as fetcher:
        report = await poll_due_feeds(store, fetcher, settings, now=clock, all_feeds=True)
    assert report.results == []
    assert [f.title for f in await list_feeds(store)] == ["Lonely"]  # kept, for search


async def test_mute_and_only_in_digest(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store, settings: Settings, feed_server: FeedServer,
    clock: Clock,
) -> None:  # fmt: skip
    url = feed_server.add("/m.xml", rss("Muted News", ["Quiet"]))
    await say(bot_api, USER, "/subscribe")
    await say(bot_api, USER, f"/add {url}")
    await say(bot_api, USER, "/sources")
    answer = await press(bot_api, USER, f"1. {words.BUTTON_MUTE_WEEK}")
    assert answer["text"] == "Muted Muted News for 7 days, from your next digest."
    assert "🔕 muted until" in bot_api.sent(USER)[-1].text
    await press(bot_api, USER, f"1. {words.BUTTON_DIGEST_ONLY}")
    assert "only in digest" in bot_api.sent(USER)[-1].text
    async with Fetcher(settings) as fetcher:  # its teaser's page round, as for any feed
        await poll_due_feeds(store, fetcher, settings, now=clock)
    await plan_due_digests(store, settings, now=clock.advance(days=1))
    assert await digests(store, USER) == []  # muted: nothing to send
    await press(bot_api, USER, f"1. {words.BUTTON_UNMUTE}")
    assert "muted" not in bot_api.sent(USER)[-1].text
    [digest] = await say(bot_api, USER, "/digest")
    assert "Quiet" in digest


async def test_a_home_page_leads_to_its_feed(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store, feed_server: FeedServer
) -> None:
    feed_server.add("/feeds/main.xml", rss("Site Main", ["Headline"]))
    page = feed_server.add(
        "/", home(("application/rss+xml", "/feeds/main.xml", "Main")), content_type="text/html"
    )
    [added] = await say(bot_api, USER, f"/add {page}")
    assert added.startswith("✅ Added to your sources: Site Main\nNewest:\n• Headline")


async def test_a_page_with_several_feeds_offers_buttons(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store, feed_server: FeedServer
) -> None:
    feed_server.add("/news.xml", rss("News", ["N1"]))
    feed_server.add("/sport.json", b'{"version": "https://jsonfeed.org/version/1.1", '
                    b'"title": "Sport", "items": [{"id": "s1", "title": "S1", '
                    b'"content_text": "Sport text here."}]}',
                    content_type="application/feed+json")  # fmt: skip
    links = (
        ("application/rss+xml", "/news.xml", "News"),
        ("application/feed+json", "/sport.json", "Sport"),
    )
    page = feed_server.add("/home.html", home(*links), content_type="text/html")
    [question] = await say(bot_api, USER, f"/add {page}")
    assert question.startswith("That page has 2 feeds. Which one do you want?")
    assert bot_api.sent(USER)[-1].labels() == ["1. News", "2. Sport"]
    await press(bot_api, USER, "2. Sport")
    await _until(lambda: bot_api.sent(USER)[-1].text.startswith("✅ Added"))
    assert bot_api.sent(USER)[-1].text.startswith("✅ Added to your sources: Sport\nNewest:\n• S1")
    assert [f.title for f in await list_feeds(store)] == ["Sport"]


async def test_usual_paths_are_tried_when_a_page_names_no_feed(
    bot: NewsApp, bot_api: FakeBotAPI, feed_server: FeedServer
) -> None:
    feed_server.add("/index.xml", rss("Found At Index", ["I1"]))
    page = feed_server.add("/blog", home(), content_type="text/html")
    [added] = await say(bot_api, USER, f"/add {page}")
    assert added.startswith("✅ Added to your sources: Found At Index")


async def test_a_pasted_link_asks_first(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store, feed_server: FeedServer
) -> None:
    url = feed_server.add("/pasted.xml", rss("Pasted", ["P1"]))
    [question] = await say(bot_api, USER, url)
    assert question == f"{words.ADD_THIS}\n{url}"
    assert await list_feeds(store) == []
    await press(bot_api, USER, words.BUTTON_ADD)
    await _until(lambda: bot_api.sent(USER)[-1].text.startswith("✅ Added"))
    # Other text still gets the hint.
    assert await say(bot_api, USER, "hello there") == [words.PLAIN_TEXT]


async def test_bad_input_gets_a_reason_and_stores_nothing(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store, feed_server: FeedServer, settings: Settings,
    clock: Clock,
) -> None:  # fmt: skip
    page = feed_server.add(
        "/plain.html", b"<!doctype html><p>no feeds</p>", content_type="text/html"
    )
    [nofeed] = await say(bot_api, USER, f"/add {page}")
    assert nofeed == f"⚠️ That's not a feed I can read: {words.NO_FEED_ON_PAGE}."
    [missing] = await say(bot_api, USER, f"/add {feed_server.url('/missing.xml')}")
    assert missing == "⚠️ I couldn't download it: HTTP 404 Not Found."
    big = feed_server.huge("/big.xml", settings.max_body_bytes + 10)
    [too_big] = await say(bot_api, USER, f"/add {big}")
    assert too_big.startswith("⚠️ I couldn't download it:")
    [garbage] = await say(bot_api, USER, "/add " + "x" * 2000)
    assert garbage.startswith(("⚠️", "🚫"))
    [local] = await say(bot_api, USER, "/add file:///etc/passwd")
    assert local.startswith("🚫 I can't add that address")
    assert (await say(bot_api, USER, "/add"))[0] == words.ADD_USAGE.replace("<code>", "").replace(
        "</code>", ""
    )
    assert await list_feeds(store) == []
    async with store.connect() as conn:
        rows = (await conn.execute(select(func.count()).select_from(chat_sources))).scalar_one()
    assert rows == 0


async def test_private_addresses_are_refused(
    settings: Settings, store: Store, bot_api: FakeBotAPI, clock: Clock, feed_server: FeedServer
) -> None:
    url = feed_server.add("/p.xml", rss("Private", ["X"]))
    strict = bot_settings(settings, bot_api, allow_private_networks=False)
    async with running_bot(strict, store, bot_api, clock):
        [refused] = await say(bot_api, USER, f"/add {url}")
        # A public page redirecting to a private address is refused at that hop too (the
        # guard checks every hop); here the first hop is private already.
    assert refused.startswith("🚫 I can't add that address: refusing private address 127.0.0.1")
    assert await list_feeds(store) == []


async def test_limits_say_which_and_what_to_do(
    settings: Settings, store: Store, bot_api: FakeBotAPI, clock: Clock, feed_server: FeedServer
) -> None:
    urls = [feed_server.add(f"/l{n}.xml", rss(f"L{n}", [f"item {n}"])) for n in range(4)]
    tight = bot_settings(settings, bot_api, feeds_per_chat=2, adds_per_hour=3, max_feeds=3)
    async with running_bot(tight, store, bot_api, clock):
        await say(bot_api, USER, f"/add {urls[0]}")
        await say(bot_api, USER, f"/add {urls[1]}")
        [full] = await say(bot_api, USER, f"/add {urls[2]}")
        assert full == words.too_many_sources(2).replace("<b>", "")
        await say(bot_api, USER, "/sources")
        await press(bot_api, USER, f"1. {words.BUTTON_REMOVE}")
        await say(bot_api, USER, f"/add {urls[2]}")  # the third add this hour
        await press(bot_api, USER, f"1. {words.BUTTON_REMOVE}")
        [hourly] = await say(bot_api, USER, f"/add {urls[0]}")
        assert hourly == words.too_many_adds(3)
        clock.advance(hours=2)
        [cap] = await say(bot_api, OTHER, f"/add {urls[3]}")
        assert cap == words.FEEDS_FULL
        [known] = await say(bot_api, OTHER, f"/add {urls[0]}")  # a known feed is still fine
        assert known.startswith("✅ Added to your sources: L0")


async def _until(check: object) -> None:
    assert callable(check)
    for _ in range(250):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the bot did not get there")


async def test_in_a_group_only_its_admins_add_and_remove(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store, feed_server: FeedServer
) -> None:
    group, owner, member = -100500, 700, 701
    bot_api.group(group, "Readers", owner=owner)
    url = feed_server.add("/g.xml", rss("Group News", ["G1"]))
    [refused] = await say(bot_api, group, f"/add {url}", user_id=member)
    assert refused == words.GROUP_ADMINS_ONLY
    [added] = await say(bot_api, group, f"/add {url}", user_id=owner)
    assert added.startswith("✅ Added to your sources: Group News")
    [listing] = await say(bot_api, group, "/sources", user_id=member)  # everyone may look
    assert listing.startswith("Your sources (1)")
    answer = await press(bot_api, group, f"1. {words.BUTTON_REMOVE}", user_id=member)
    assert answer["text"] == words.GROUP_ADMINS_ONLY
    assert len(await source_store_ids(store, group)) == 1


async def source_store_ids(store: Store, chat_id: int) -> list[int]:
    async with store.connect() as conn:
        return await source_ids(conn, chat_id)


async def test_a_feed_that_does_not_answer_in_time(
    settings: Settings, store: Store, bot_api: FakeBotAPI, clock: Clock, feed_server: FeedServer
) -> None:
    slow = feed_server.add("/slow.xml", rss("Slow", ["S1"]), delay=3.0)
    impatient = bot_settings(settings, bot_api, read_timeout=0.3, connect_timeout=0.3)
    async with running_bot(impatient, store, bot_api, clock):
        [answer] = await say(bot_api, USER, f"/add {slow}")
    assert answer.startswith("⚠️ I couldn't download it: timed out")
    assert await list_feeds(store) == []


async def test_a_channel_owner_manages_its_sources_from_a_private_chat(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store, feed_server: FeedServer
) -> None:
    channel = -100900
    bot_api.channel(channel, "Morning Wire", username="morningwire")
    bot_api.set_admins(channel, [], owner=USER)
    url = feed_server.add("/c.xml", rss("Channel Feed", ["C1"]))
    [refused] = await say(bot_api, OTHER, f"/add @morningwire {url}")
    assert refused == "Sorry, only the owner and admins of Morning Wire can change its sources."
    [added] = await say(bot_api, USER, f"/add @morningwire {url}")
    assert added.startswith("✅ Added to the sources of Morning Wire: Channel Feed")
    assert await source_store_ids(store, USER) == []  # the channel's, not the owner's own
    [listing] = await say(bot_api, USER, "/sources @morningwire")
    assert listing.startswith("Sources of Morning Wire (1)\n1. Channel Feed")
    answer = await press(bot_api, USER, f"1. {words.BUTTON_REMOVE}")
    assert answer["text"] == "Removed Channel Feed; it leaves your next digest."
    assert await source_store_ids(store, channel) == []
    # A page with two feeds: the choice made stays the channel's.
    feed_server.add("/c1.xml", rss("Chan One", ["X1"]))
    feed_server.add("/c2.xml", rss("Chan Two", ["X2"]))
    links = (("application/rss+xml", "/c1.xml", "One"), ("application/rss+xml", "/c2.xml", "Two"))
    page = feed_server.add("/chome.html", home(*links), content_type="text/html")
    await say(bot_api, USER, f"/add @morningwire {page}")
    await press(bot_api, USER, "2. Two")
    await _until(lambda: bot_api.sent(USER)[-1].text.startswith("✅ Added"))
    assert bot_api.sent(USER)[-1].text.startswith(
        "✅ Added to the sources of Morning Wire: Chan Two"
    )
    assert len(await source_store_ids(store, channel)) == 1
    [unknown] = await say(bot_api, USER, "/sources @nosuchchannel")
    assert unknown.startswith("I can't find @nosuchchannel.")

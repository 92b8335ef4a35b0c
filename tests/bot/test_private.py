"""A subscriber in a private chat: /start, subscribe, settings, /digest, /feeds, bad input."""

from __future__ import annotations

from datetime import timedelta

from bot.telegram.app import NewsApp
from harness.botapi import FakeBotAPI
from news import words
from news.storage.db import Store
from news.storage.feeds import add_feed, list_feeds
from news.storage.subscriptions import get_subscription
from tests.bot.conftest import USER, Clock, add_articles, press, reply, say


async def test_start_subscribe_button_then_unsubscribe(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store
) -> None:
    [welcome] = await say(bot_api, USER, "/start")
    assert "news digest" in welcome
    assert bot_api.sent(USER)[-1].labels() == [words.BUTTON_SUBSCRIBE, words.BUTTON_LATEST]

    await press(bot_api, USER, words.BUTTON_SUBSCRIBE)
    confirmed = (await bot_api.wait_sent(USER, 2))[1].text
    assert confirmed == (
        "✅ Subscribed. Your next digest arrives 26 Nov, 08:00. Change it with /settings."
    )
    sub = await get_subscription(store, USER)
    assert sub is not None
    assert sub.active
    assert sub.chat_type == "private"

    [again] = await say(bot_api, USER, "/subscribe")
    assert again == "You're already subscribed. Next digest 26 Nov, 08:00. /settings changes it."
    assert await say(bot_api, USER, "/unsubscribe") == [
        "👋 Unsubscribed: no more digests. /subscribe brings them back."
    ]
    assert await say(bot_api, USER, "/stop") == [
        "You're not subscribed. /subscribe starts the digests."
    ]
    sub = await get_subscription(store, USER)
    assert sub is not None
    assert not sub.active


async def test_deep_link_subscribes(bot: NewsApp, bot_api: FakeBotAPI, store: Store) -> None:
    [text] = await say(bot_api, USER, "/start subscribe")
    assert text.startswith("✅ Subscribed.")
    assert await get_subscription(store, USER) is not None


async def test_settings_keyboard_edits_one_message(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store, clock: Clock
) -> None:
    await add_feed(store, "https://a.example/feed", now=clock(), title="Alpha")
    await add_feed(store, "https://b.example/feed", now=clock(), title="Beta")
    [first] = await say(bot_api, USER, "/settings")
    assert first == words.NOT_SUBSCRIBED_SETTINGS
    await say(bot_api, USER, "/subscribe")
    [shown] = await say(bot_api, USER, "/settings")
    assert "Time: 08:00" in shown
    assert "Time zone: UTC" in shown
    assert "Sources: all" in shown
    count = len(bot_api.sent(USER))

    def screen() -> str:
        return bot_api.sent(USER)[-1].text

    await press(bot_api, USER, "Time zone")
    answer = await press(bot_api, USER, "Europe/Berlin")
    assert answer.get("text") == "Time zone set to Europe/Berlin."
    assert screen().startswith("✅ Time zone set to Europe/Berlin.")
    assert "Time zone: Europe/Berlin" in screen()

    await press(bot_api, USER, "Frequency")
    await press(bot_api, USER, "twice a day")
    assert "Frequency: twice a day" in screen()
    assert "Time: 08:00 and 20:00" in screen()

    await press(bot_api, USER, "Time")
    answer = await press(bot_api, USER, "07:00")
    assert answer.get("text") == "Digest time set to 07:00 and 08:00."
    answer = await press(bot_api, USER, "09:00")
    assert answer.get("show_alert") is True
    assert "two times already" in str(answer.get("text"))

    await press(bot_api, USER, "Back")
    await press(bot_api, USER, "Articles")
    await press(bot_api, USER, "5")
    assert "Articles: 5" in screen()
    await press(bot_api, USER, "Previews: off")
    assert screen().startswith("✅ Link previews on.")

    await press(bot_api, USER, "Sources")
    answer = await press(bot_api, USER, "Alpha")
    assert answer.get("text") == "1 sources included."
    assert "Sources: 1 of 2" in screen()
    answer = await press(bot_api, USER, "Beta")
    assert answer.get("text") == words.NEED_ONE_FEED
    await press(bot_api, USER, words.BUTTON_ALL_FEEDS)
    assert "Sources: all" in screen()

    assert len(bot_api.sent(USER)) == count  # every change edited the same message
    sub = await get_subscription(store, USER)
    assert sub is not None
    assert (sub.timezone, sub.frequency, sub.digest_times) == (
        "Europe/Berlin",
        "twice",
        ("07:00", "08:00"),
    )
    assert (sub.max_articles, sub.link_previews) == (5, True)
    assert sub.feed_ids == tuple(f.id for f in await list_feeds(store))


async def test_settings_typed_and_time_zone_reply(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store
) -> None:
    await say(bot_api, USER, "/subscribe")
    [bad] = await say(bot_api, USER, "/settings tz Mars/Olympus")
    assert bad == "⚠️ 'Mars/Olympus' is not a time zone like Europe/Berlin"
    [ok] = await say(bot_api, USER, "/settings time 06:45")
    assert ok.startswith("✅ Digest time set to 06:45.")
    [usage] = await say(bot_api, USER, "/settings colour blue")
    assert usage.startswith("Usage:")
    sub = await get_subscription(store, USER)
    assert sub is not None
    assert (sub.timezone, sub.digest_times) == ("UTC", ("06:45",))


async def test_time_zone_typed_in_a_reply(bot: NewsApp, bot_api: FakeBotAPI, store: Store) -> None:
    await say(bot_api, USER, "/subscribe")
    await say(bot_api, USER, "/settings")
    await press(bot_api, USER, "Time zone")
    await press(bot_api, USER, "Type another")
    prompt = (await bot_api.wait_sent(USER, 3))[-1]
    assert prompt.text == words.ZONE_PROMPT
    before = len(bot_api.sent(USER))
    reply(bot_api, USER, prompt, "Asia/Tokyo")
    [done] = [m.text for m in (await bot_api.wait_sent(USER, before + 1))[before:]]
    assert done.startswith("✅ Time zone set to Asia/Tokyo.")
    sub = await get_subscription(store, USER)
    assert sub is not None
    assert sub.timezone == "Asia/Tokyo"


async def test_digest_now_then_nothing_new(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store, clock: Clock
) -> None:
    [empty] = await say(bot_api, USER, "/digest")
    assert empty == words.NO_ARTICLES_YET

    await add_articles(store, clock() - timedelta(minutes=30), ["Rain in Spain", "Moon <landing>"])
    await say(bot_api, USER, "/subscribe")
    [digest] = await say(bot_api, USER, "/digest")
    assert digest.startswith("📰 Your news since 24 Nov, 09:00")
    assert "Rain in Spain" in digest
    assert "Moon <landing>" in digest
    assert "Summary of Rain in Spain." in digest

    clock.advance(minutes=10)
    [nothing] = await say(bot_api, USER, "/digest")
    assert nothing == "Nothing new since 25 Nov, 08:25."
    sub = await get_subscription(store, USER)
    assert sub is not None
    assert sub.last_digest_at == clock() - timedelta(minutes=10)


async def test_latest_digest_button_without_subscription(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store, clock: Clock
) -> None:
    await add_articles(store, clock() - timedelta(hours=2), ["Old but recent"])
    await say(bot_api, USER, "/start")
    await press(bot_api, USER, words.BUTTON_LATEST)
    digest = (await bot_api.wait_sent(USER, 2))[1].text
    assert "Old but recent" in digest
    assert await get_subscription(store, USER) is None


async def test_feeds_lists_sources_with_last_read(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store, clock: Clock
) -> None:
    [none] = await say(bot_api, USER, "/feeds")
    assert none == "You have no sources yet. Add one: /add https://example.com."
    await say(bot_api, USER, "/subscribe")
    # An operator's feed added later reaches every subscriber; /feeds is /sources.
    await add_feed(store, "https://a.example/feed", now=clock(), title="Alpha & Co")
    [listing] = await say(bot_api, USER, "/feeds")
    assert listing == "Your sources (1)\n1. Alpha & Co\n   not read yet · 0 this week"
    assert 'href="https://a.example/feed"' in str(bot_api.sent(USER)[-1].html)


async def test_help_unknown_command_plain_text_and_stale_buttons(
    bot: NewsApp, bot_api: FakeBotAPI
) -> None:
    [text] = await say(bot_api, USER, "/help")
    assert "/search — Search the articles: /search WORDS" in text
    assert "/addfeed" not in text  # admin tools are shown to admins only
    assert await say(bot_api, USER, "/frobnicate") == [words.UNKNOWN_COMMAND]
    assert await say(bot_api, USER, "hello there") == [words.PLAIN_TEXT]

    await say(bot_api, USER, "/start")

    for data in ("st:z:999", "s:123:2", "a:424242", "zz", "st", "s:x:y", "a:" + "9" * 40):
        answer = await press(bot_api, USER, words.BUTTON_SUBSCRIBE, data=data)
        assert answer.get("text") in (
            words.STALE_BUTTON,
            words.SEARCH_EXPIRED,
            words.ARTICLE_GONE,
            words.NOT_SUBSCRIBED_SETTINGS,
        ), data


async def test_hourly_minute_and_many_sources(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store, clock: Clock
) -> None:
    for n in range(1, 11):
        await add_feed(store, f"https://f{n}.example/feed", now=clock(), title=f"Feed {n}")
    await say(bot_api, USER, "/subscribe")
    await say(bot_api, USER, "/settings")
    await press(bot_api, USER, words.BUTTON_FREQUENCY)
    await press(bot_api, USER, "every hour")
    await press(bot_api, USER, words.BUTTON_TIME)
    assert bot_api.sent(USER)[-1].labels()[:4] == ["✅ :00", ":15", ":30", ":45"]
    answer = await press(bot_api, USER, ":30")
    assert answer["text"] == "Digest time set to every hour at :30."

    await press(bot_api, USER, words.BUTTON_BACK)
    await press(bot_api, USER, words.BUTTON_SOURCES)
    labels = bot_api.sent(USER)[-1].labels()
    assert labels[:8] == [f"✅ Feed {n}" for n in range(1, 9)]
    assert words.BUTTON_NEXT in labels
    await press(bot_api, USER, words.BUTTON_NEXT)
    await press(bot_api, USER, "Feed 10")
    assert "✅ Feed 10" not in bot_api.sent(USER)[-1].labels()
    sub = await get_subscription(store, USER)
    assert sub is not None
    assert sub.feed_ids == tuple(range(1, 10))
    assert sub.digest_times == ("08:30",)
    await press(bot_api, USER, words.BUTTON_BACK)
    await press(bot_api, USER, words.BUTTON_DONE)
    assert bot_api.sent(USER)[-1].text.endswith(words.SETTINGS_CLOSED)
    assert bot_api.sent(USER)[-1].labels() == []

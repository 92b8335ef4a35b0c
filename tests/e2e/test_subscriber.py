"""A subscriber's day: feeds polled, /start, subscribe, settings, the digest at its time, blocking.

Everything real but the clock: the seed feeds come from a local HTTP server, the bot long-polls
the fake Bot API, the planner and the sender run as the worker and the sender would, on one
SQLite file. The test moves the time of day (the bot's clock and the planner's `now`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from telegram import Bot

from bot.telegram.app import NewsApp
from harness.botapi import FakeBotAPI
from harness.feedserver import FeedServer
from jobs.plan import PlanReport, plan_due_digests
from jobs.poll import poll_due_feeds
from jobs.summarize import summarize_pending
from news import words
from news.fetch import Fetcher
from news.settings import Settings
from news.storage.db import Store
from news.storage.feeds import add_feed
from news.storage.subscriptions import get_subscription
from news.tghtml import utf16_length
from tests.bot.conftest import USER, Clock, press, say
from tests.e2e.conftest import deliver, outbox_rows, rss

SEED_FEEDS = ("rss2.xml", "atom.xml", "rdf.xml")
# The seed feeds' stories: all of them arrive with the first poll, within the first digest's day.
SEED_STORIES = (
    "Battery maker picks Ohio for $2.1bn sodium-ion plant",
    "Veteran Kosgei smashes Lisbon Marathon course record",
    "Date palm seeds from 2,000-year-old jar sprout in desert lab",
    "Trump's Second Putin Summit Plan Raises Concerns Over Ukraine Support Strategy",
    "Heat-tolerant corals found thriving in Red Sea shallows",
    "Why small language models are winning on phones",
    "Rotterdam dockworkers end nine-day strike after pay deal",
    "Open-source browser engine Kestrel reaches version 1.0",
)
# Stories that two feeds carry (same link; near-identical titles): each is shown once.
TOLD_TWICE = (
    (
        "Lab unveils error-corrected quantum chip that ran for a full day",
        "Delft team's quantum chip keeps a logical qubit alive for 24 hours",
    ),
    (
        "ESA confirms launch window for Mars sample return lander",
        "ESA confirms launch window for Mars sample-return lander",
    ),
)


def harbour_text(n: int) -> str:
    """Return a plausible article of about 110 words (long enough not to fetch the page)."""
    return " ".join(
        [
            f"The harbour authority said berth {n} handled {100 + n} containers overnight.",
            f"Crane operators on shift {n} reported steady winds and clear visibility.",
            "Tug crews guided three bulk carriers through the narrow channel before dawn.",
            f"Port officials expect traffic at berth {n} to rise by {n} percent next week.",
            "Dock workers welcomed the new rota, which adds a rest day every fortnight.",
            "Shipping agents noted that insurance costs for the route had fallen slightly.",
            f"A spokesperson said maintenance on quay {n} would finish before the weekend.",
            "Local residents have asked for quieter night operations near the old pier.",
            "The authority will publish its monthly figures on the first working day.",
        ]
    )


def harbour_items(
    first: int, count: int, newest: datetime
) -> list[tuple[str, str, datetime, str]]:
    """Return harbour stories numbered from `first`, ten minutes apart, the newest at `newest`."""
    return [
        (
            f"harbour-{n}",
            f"Harbour report {n}: cranes & tugs, berth {n} < {n + 1}",
            newest - timedelta(minutes=10 * (n - first)),
            harbour_text(n),
        )
        for n in range(first, first + count)
    ]


async def poll(store: Store, settings: Settings, at: datetime) -> int:
    """Poll every due feed and summarize what arrived, at `at`; return the new articles."""
    async with Fetcher(settings) as fetcher:
        report = await poll_due_feeds(store, fetcher, settings, now=lambda: at)
    assert not report.failed, [r.error for r in report.failed]
    await summarize_pending(store, settings, now=lambda: at)
    return report.new_articles


def screen(api: FakeBotAPI) -> str:
    """Return the text of the bot's last message to the user."""
    return api.sent(USER)[-1].text


async def test_a_subscribers_day(
    app: NewsApp,
    bot_api: FakeBotAPI,
    feed_server: FeedServer,
    store: Store,
    e2e_settings: Settings,
    sender: Bot,
    clock: Clock,
) -> None:
    # 05:00 UTC: the worker polls the seed feeds and a busy local harbour feed.
    harbour = rss("Harbour Gazette", harbour_items(1, 20, clock() - timedelta(minutes=10)))
    feed_server.add("/harbour.xml", harbour, content_type="application/rss+xml")
    for name in SEED_FEEDS:
        await add_feed(store, feed_server.url(f"/feeds/{name}"), now=clock())
    await add_feed(store, feed_server.url("/harbour.xml"), now=clock())
    assert await poll(store, e2e_settings, clock()) == 12 + 20

    await subscribe_and_choose_settings(bot_api)
    await first_digest_at_nine_in_berlin(bot_api, store, e2e_settings, sender, clock)

    # Next morning nothing new arrived: no digest at all, and /digest says so, with the time
    # of the newest article (in Berlin time).
    before = len(bot_api.sent(USER))
    report, stats = await deliver(store, e2e_settings, sender, now=clock.advance(days=1))
    assert (report.claimed, report.empty, report.messages, stats.sent) == (1, 1, 0, 0)
    assert len(bot_api.sent(USER)) == before
    clock.advance(minutes=4)
    assert await say(bot_api, USER, "/digest") == ["Nothing new since 23 Nov, 06:00."]

    await search_with_paging(bot_api)

    # More harbour news arrives; the user blocks the bot before the next digest goes out.
    harbour = rss("Harbour Gazette", harbour_items(21, 10, clock() + timedelta(hours=3)))
    feed_server.add("/harbour.xml", harbour, content_type="application/rss+xml")
    assert await poll(store, e2e_settings, clock.advance(hours=4)) == 10
    await blocked_before_the_digest(bot_api, store, e2e_settings, sender, clock)

    # Back again: /unsubscribe twice is harmless, so is /subscribe then /unsubscribe twice.
    bot_api.unblock(USER)
    assert await say(bot_api, USER, "/unsubscribe") == [words.NOT_SUBSCRIBED]
    assert await say(bot_api, USER, "/unsubscribe") == [words.NOT_SUBSCRIBED]
    [back] = await say(bot_api, USER, "/subscribe")
    assert back.startswith("✅ Subscribed. Your next digest arrives 26 Nov, 09:00.")
    assert await say(bot_api, USER, "/unsubscribe") == [words.UNSUBSCRIBED]
    assert await say(bot_api, USER, "/stop") == [words.NOT_SUBSCRIBED]


async def subscribe_and_choose_settings(api: FakeBotAPI) -> None:
    """/start, Subscribe, then /settings: Berlin time, 09:00, 30 stories; one message edited."""
    [welcome] = await say(api, USER, "/start")
    assert "news digest" in welcome
    await press(api, USER, words.BUTTON_SUBSCRIBE)
    assert screen(api) == (
        "✅ Subscribed. Your next digest arrives 23 Nov, 08:00. Change it with /settings."
    )
    [shown] = await say(api, USER, "/settings")
    assert "Time: 08:00" in shown
    messages = len(api.sent(USER))
    await press(api, USER, "Time zone")
    answer = await press(api, USER, "Europe/Berlin")
    assert answer.get("text") == "Time zone set to Europe/Berlin."
    await press(api, USER, "Time")
    answer = await press(api, USER, "09:00")
    assert answer.get("text") == "Digest time set to 09:00."
    await press(api, USER, "Articles")
    await press(api, USER, "30")
    assert len(api.sent(USER)) == messages
    for line in ("Time: 09:00", "Time zone: Europe/Berlin", "Articles: 30", "Sources: all"):
        assert line in screen(api), screen(api)


async def first_digest_at_nine_in_berlin(
    api: FakeBotAPI, store: Store, settings: Settings, sender: Bot, clock: Clock
) -> None:
    """08:59 Berlin: nothing due. 09:01 Berlin (08:01 UTC): the digest, every part, in order."""
    before = len(api.sent(USER))
    report = await plan_due_digests(store, settings, now=clock.advance(hours=2, minutes=59))
    assert report.claimed == 0
    report, stats = await deliver(store, settings, sender, now=clock.advance(minutes=2))
    assert (report.planned, stats.sent) == (1, report.messages)
    digest = api.sent(USER)[before:]
    assert len(digest) == report.messages >= 3  # 30 stories do not fit one message

    queued = await outbox_rows(store, USER)
    assert [m.html for m in digest] == [r["text"] for r in queued]
    assert [r["status"] for r in queued] == ["sent"] * len(digest)
    # The fake refuses bad HTML and texts past 4096 after parsing; check the length anyway.
    assert all(utf16_length(m.text) <= 4096 for m in digest)
    text = "\n".join(m.text for m in digest)
    assert digest[0].text.startswith("📰 Your digest · 30 stories since yesterday 06:00")
    for title in SEED_STORIES:
        assert text.count(title) == 1, title
    for pair in TOLD_TWICE:
        assert sum(text.count(title) for title in pair) == 1, pair
    # Feed text is shown as written, never as markup.
    assert "Harbour report 7: cranes & tugs, berth 7 < 8" in text
    assert text.count("Harbour report") == 20

    # Planning the same slot again (another worker, a retry) sends nothing more.
    report, stats = await deliver(store, settings, sender, now=clock())
    assert (report.claimed, report.messages, stats.sent) == (0, 0, 0)
    assert len(api.sent(USER)) == before + len(digest)


async def blocked_before_the_digest(
    api: FakeBotAPI, store: Store, settings: Settings, sender: Bot, clock: Clock
) -> None:
    """The digest is planned, the user blocks the bot, the sender meets 403 and stops."""
    sent = len(await outbox_rows(store, USER))
    report = await plan_due_digests(store, settings, now=clock.advance(hours=20))
    assert (report.planned, report.messages) == (1, 2)
    shown = len(api.sent(USER))
    api.block(USER)  # from now on Telegram answers 403 "bot was blocked by the user"

    await deliver(store, settings, sender, now=clock())

    assert [c.status for c in api.calls("sendMessage", chat_id=USER)][-1] == 403
    assert len(api.sent(USER)) == shown
    sub = await get_subscription(store, USER)
    assert sub is not None
    assert not sub.active
    rows = (await outbox_rows(store, USER))[sent:]
    assert [r["status"] for r in rows] == ["dropped", "dropped"]  # nothing left pending
    report = await plan_due_digests(store, settings, now=clock.advance(minutes=1))
    assert report.claimed == 0


async def search_with_paging(api: FakeBotAPI) -> None:
    """/search over the stored articles: five a page, Next and Previous edit the message."""
    count = len(api.sent(USER))
    [first] = await say(api, USER, "/search harbour")
    results = api.sent(USER)[-1]
    assert first.startswith("🔎 Results for “harbour” · page 1")
    assert results.labels() == [
        *["1", "2", "3", "4", "5"],
        words.BUTTON_NEXT,
        words.BUTTON_ALERT_ME,
        words.BUTTON_SHARE,
    ]
    assert first.count("Harbour report") == 5

    await press(api, USER, words.BUTTON_NEXT, message_id=results.message_id)
    page = api.sent(USER)[-1]
    assert page.message_id == results.message_id
    assert page.text.startswith("🔎 Results for “harbour” · page 2")
    assert page.labels() == [
        *["6", "7", "8", "9", "10"],
        words.BUTTON_PREVIOUS,
        words.BUTTON_NEXT,
        words.BUTTON_ALERT_ME,
        words.BUTTON_SHARE,
    ]
    second_titles = {line for line in page.text.splitlines() if "Harbour report" in line}
    assert second_titles.isdisjoint(first.splitlines())

    await press(api, USER, words.BUTTON_PREVIOUS, message_id=results.message_id)
    assert api.sent(USER)[-1].text == first

    # A result's number shows that article: title, source, summary and link.
    await press(api, USER, "3", message_id=results.message_id)
    [card] = (await api.wait_sent(USER, count + 2))[count + 1 :]
    third = next(line for line in first.splitlines() if line.startswith("3. "))
    assert card.text.startswith(third.removeprefix("3. "))
    assert "Harbour Gazette" in card.text
    assert "Read more" in card.text


async def harbour_then_first_digest(
    api: FakeBotAPI,
    feed_server: FeedServer,
    store: Store,
    settings: Settings,
    sender: Bot,
    clock: Clock,
) -> PlanReport:
    """Poll a harbour feed of three stories, subscribe, and deliver the 08:00 digest."""
    feed_server.add("/harbour.xml", rss("Harbour Gazette", harbour_items(1, 3, clock())))
    await add_feed(store, feed_server.url("/harbour.xml"), now=clock())
    await poll(store, settings, clock())
    await say(api, USER, "/subscribe")
    report, _ = await deliver(store, settings, sender, now=clock.advance(hours=3, minutes=1))
    return report


async def test_a_story_that_arrives_after_its_digest_is_in_the_next_one(
    app: NewsApp,
    bot_api: FakeBotAPI,
    feed_server: FeedServer,
    store: Store,
    e2e_settings: Settings,
    sender: Bot,
    clock: Clock,
) -> None:
    # A story dated 07:55 that the worker fetches only at 08:30, after the 08:00 digest.
    report = await harbour_then_first_digest(
        bot_api, feed_server, store, e2e_settings, sender, clock
    )
    assert report.planned == 1
    late = datetime(2026, 11, 23, 7, 55, tzinfo=UTC)
    late_items = [*harbour_items(1, 3, clock()), *harbour_items(50, 1, late)]
    feed_server.add("/harbour.xml", rss("Harbour Gazette", late_items))
    assert await poll(store, e2e_settings, clock.advance(minutes=29)) == 1

    before = len(bot_api.sent(USER))
    report, _ = await deliver(store, e2e_settings, sender, now=clock.advance(days=1))

    assert "Harbour report 50" in "\n".join(bot_api.texts(USER)[before:])


async def test_a_new_feeds_archive_is_capped_in_the_next_digest_and_said_once(
    app: NewsApp,
    bot_api: FakeBotAPI,
    feed_server: FeedServer,
    store: Store,
    e2e_settings: Settings,
    sender: Bot,
    clock: Clock,
) -> None:
    # A subscriber gets the 08:00 digest; then a feed is added whose first poll brings three
    # new stories and 600 from its archive, dated up to four days back.
    await harbour_then_first_digest(bot_api, feed_server, store, e2e_settings, sender, clock)
    before = len(bot_api.sent(USER))
    archive = harbour_items(100, 600, clock() - timedelta(days=1))
    dump = rss(
        "Port & <Archive>", [*harbour_items(1000, 3, clock() + timedelta(hours=2)), *archive]
    )
    feed_server.add("/archive.xml", dump, content_type="application/rss+xml")
    await add_feed(store, feed_server.url("/archive.xml"), now=clock())
    assert await poll(store, e2e_settings, clock.advance(hours=3)) == 603

    report, _ = await deliver(store, e2e_settings, sender, now=clock.advance(days=1, hours=-3))
    assert report.planned == 1
    shown = "\n".join(bot_api.texts(USER)[before:])
    assert all(f"Harbour report {n}:" in shown for n in (1000, 1001, 1002))
    assert sum(f"Harbour report {n}:" in shown for n in range(100, 700)) <= 10
    assert shown.count("older items") == 1
    assert "and 590 older items from Port & <Archive> are in /search" in shown
    # The archive is not carried into the next digest: nothing new, nothing sent.
    report, _ = await deliver(store, e2e_settings, sender, now=clock.advance(days=1))
    assert (report.planned, report.empty) == (0, 1)

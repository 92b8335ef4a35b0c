"""A group: its admin subscribes it, members can't change it, and it follows a migration."""

from __future__ import annotations

from telegram import Bot

from bot.telegram.app import NewsApp
from harness.botapi import FakeBotAPI
from jobs.plan import plan_due_digests
from news import words
from news.settings import Settings
from news.storage.db import Store
from news.storage.subscriptions import get_subscription
from tests.bot.conftest import BOT_NAME, Clock, add_articles, eventually, press, say
from tests.e2e.conftest import deliver, outbox_rows

GROUP = -4001
SUPERGROUP = -1004001  # the id Telegram gives the group when it becomes a supergroup
OWNER = 700
MEMBER = 701


async def active_chat(store: Store, chat_id: int) -> bool:
    sub = await get_subscription(store, chat_id)
    return sub is not None and sub.active


async def test_a_group_subscribes_and_follows_its_migration(
    app: NewsApp,
    bot_api: FakeBotAPI,
    store: Store,
    e2e_settings: Settings,
    sender: Bot,
    clock: Clock,
) -> None:
    bot_api.group(GROUP, "Harbour Watch", owner=OWNER)
    await add_articles(store, clock(), ["Ferry timetable changes", "New pier opens"])

    # Only an admin subscribes the group; commands carry the bot's name there.
    refused = await say(bot_api, GROUP, f"/subscribe@{BOT_NAME}", user_id=MEMBER)
    assert refused == [words.GROUP_ADMINS_ONLY]
    assert not await active_chat(store, GROUP)
    [done] = await say(bot_api, GROUP, f"/subscribe@{BOT_NAME}", user_id=OWNER)
    assert done.startswith("✅ Subscribed. Your next digest arrives 23 Nov, 08:00.")

    # A member can neither open the settings nor press their buttons.
    assert await say(bot_api, GROUP, f"/settings@{BOT_NAME}", user_id=MEMBER) == [
        words.GROUP_ADMINS_ONLY
    ]
    [shown] = await say(bot_api, GROUP, f"/settings@{BOT_NAME}", user_id=OWNER)
    answer = await press(bot_api, GROUP, "Time zone", user_id=MEMBER)
    assert answer.get("text") == words.GROUP_ADMINS_ONLY
    assert answer.get("show_alert") in (True, "true")
    assert bot_api.sent(GROUP)[-1].text == shown
    sub = await get_subscription(store, GROUP)
    assert sub is not None
    assert sub.timezone == "UTC"

    # 08:01: the group gets its digest. Later it becomes a supergroup.
    before = len(bot_api.sent(GROUP))
    report, _ = await deliver(store, e2e_settings, sender, now=clock.advance(hours=3, minutes=1))
    assert report.planned == 1
    [first] = bot_api.texts(GROUP)[before:]
    assert "Ferry timetable changes" in first

    await add_articles(store, clock.advance(hours=1), ["Harbour master retires"])
    assert bot_api.migrate(GROUP) == SUPERGROUP

    async def moved() -> bool:
        return await active_chat(store, SUPERGROUP) and not await active_chat(store, GROUP)

    await eventually(moved, True)

    # The next digest goes to the supergroup, and nothing more to the old id.
    report, stats = await deliver(store, e2e_settings, sender, now=clock.advance(days=1))
    assert (report.planned, stats.sent) == (1, report.messages)
    [digest] = bot_api.texts(SUPERGROUP)
    assert "Harbour master retires" in digest
    assert "Ferry timetable changes" not in digest
    assert len(bot_api.texts(GROUP)) == before + 1
    assert {r["chat_id"] for r in await outbox_rows(store) if r["status"] == "sent"} == {
        GROUP,
        SUPERGROUP,
    }

    # The group's admin still manages it under the new id.
    [settings_screen] = await say(bot_api, SUPERGROUP, f"/settings@{BOT_NAME}", user_id=OWNER)
    assert "Time: 08:00" in settings_screen


async def test_a_digest_planned_before_the_migration_reaches_the_supergroup(
    app: NewsApp,
    bot_api: FakeBotAPI,
    store: Store,
    e2e_settings: Settings,
    sender: Bot,
    clock: Clock,
) -> None:
    bot_api.group(GROUP, "Harbour Watch", owner=OWNER)
    await add_articles(store, clock(), ["Ferry timetable changes"])
    await say(bot_api, GROUP, f"/subscribe@{BOT_NAME}", user_id=OWNER)
    report = await plan_due_digests(store, e2e_settings, now=clock.advance(hours=3, minutes=1))
    assert report.messages == 1
    bot_api.migrate(GROUP)
    await eventually(lambda: active_chat(store, SUPERGROUP), True)

    _, stats = await deliver(store, e2e_settings, sender, now=clock())

    assert stats.sent == 1
    [digest] = bot_api.texts(SUPERGROUP)
    assert "Ferry timetable changes" in digest

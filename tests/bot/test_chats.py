"""Groups (commands with @botname, admins only), migration, channels, blocking the bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import select

from bot.telegram.app import NewsApp
from harness.botapi import FakeBotAPI
from jobs.deliver import drain_once
from news import words
from news.settings import Settings
from news.storage import outbox
from news.storage.db import Store
from news.storage.searches import get_search, save_search
from news.storage.subscriptions import get_subscription
from news.storage.tables import outbox as outbox_table
from tests.bot.conftest import (
    ADMIN,
    BOT_NAME,
    USER,
    Clock,
    bot_settings,
    eventually,
    press,
    running_bot,
    say,
)

GROUP = -200
OWNER, GROUP_ADMIN, MEMBER = 7, 8, 9


async def test_group_admins_manage_members_read(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store
) -> None:
    bot_api.group(GROUP, "Readers", owner=OWNER, admins=[GROUP_ADMIN])
    refused = await say(bot_api, GROUP, f"/subscribe@{BOT_NAME}", user_id=MEMBER)
    assert refused == [words.GROUP_ADMINS_ONLY]
    assert await get_subscription(store, GROUP) is None

    [done] = await say(bot_api, GROUP, f"/subscribe@{BOT_NAME}", user_id=GROUP_ADMIN)
    assert done.startswith("✅ Subscribed.")
    sub = await get_subscription(store, GROUP)
    assert sub is not None
    assert (sub.chat_type, sub.title) == ("group", "Readers")

    assert await say(bot_api, GROUP, f"/digest@{BOT_NAME}", user_id=MEMBER) == [
        words.NO_ARTICLES_YET
    ]
    assert await say(bot_api, GROUP, "/settings", user_id=MEMBER) == [words.GROUP_ADMINS_ONLY]
    await say(bot_api, GROUP, "/settings", user_id=OWNER)
    answer = await press(bot_api, GROUP, "Frequency", user_id=MEMBER)
    assert answer == {**answer, "text": words.GROUP_ADMINS_ONLY, "show_alert": True}
    await press(bot_api, GROUP, "Frequency", user_id=OWNER)
    await press(bot_api, GROUP, "off", user_id=OWNER)
    assert "Frequency: off" in bot_api.sent(GROUP)[-1].text

    # A command for another bot is not ours to answer; ours with @name is.
    bot_api.send(GROUP, "/frobnicate@other_bot", user_id=MEMBER)
    replies = await say(bot_api, GROUP, f"/frobnicate@{BOT_NAME}", user_id=MEMBER)
    assert replies == [words.UNKNOWN_COMMAND]
    bot_api.send(GROUP, "just chatting", user_id=MEMBER)
    [help_text] = await say(bot_api, GROUP, f"/help@{BOT_NAME}", user_id=MEMBER)
    assert help_text.startswith("What I can do")


async def test_migration_moves_the_subscription(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store
) -> None:
    bot_api.group(GROUP, "Readers", owner=OWNER)
    await say(bot_api, GROUP, "/subscribe", user_id=OWNER)
    new_id = bot_api.migrate(GROUP)
    await eventually(lambda: subscribed(store, new_id), True)
    assert await get_subscription(store, GROUP) is None
    [text] = await say(bot_api, new_id, "/subscribe", user_id=OWNER)
    assert text.startswith("You're already subscribed")


@asynccontextmanager
async def group_with_a_digest_queued(
    settings: Settings, store: Store, api: FakeBotAPI, clock: Clock
) -> AsyncIterator[None]:
    """Run the bot with GROUP subscribed and a two-part digest waiting in the outbox."""
    api.group(GROUP, "Readers", owner=OWNER)
    async with running_bot(bot_settings(settings, api), store, api, clock):
        await say(api, GROUP, "/subscribe", user_id=OWNER)
        await queue(store, GROUP, clock)
        yield


async def test_migration_moves_messages_and_searches_too(
    settings: Settings, any_store: Store, bot_api: FakeBotAPI, clock: Clock
) -> None:
    async with group_with_a_digest_queued(settings, any_store, bot_api, clock):
        search_id = await save_search(any_store, GROUP, "harbour", now=clock())
        new_id = bot_api.migrate(GROUP)
        await eventually(lambda: subscribed(any_store, new_id), True)
    assert await get_subscription(any_store, GROUP) is None
    assert await outbox_chats(any_store) == [(new_id, "pending"), (new_id, "pending")]
    assert await get_search(any_store, search_id, new_id) == "harbour"


async def test_a_kicked_bot_stops_the_digests_and_the_sender_drops_what_was_queued(
    settings: Settings, any_store: Store, bot_api: FakeBotAPI, clock: Clock
) -> None:
    async with group_with_a_digest_queued(settings, any_store, bot_api, clock):
        bot_api.kick(GROUP, by=OWNER)
        await eventually(lambda: subscribed(any_store, GROUP), False)
    async with bot_api.make_bot() as sender:
        stats = await drain_once(any_store, sender, settings)
    assert [c.status for c in bot_api.calls("sendMessage", chat_id=GROUP)][-1] == 403
    assert stats.dropped == 2
    assert await outbox_chats(any_store) == [(GROUP, "dropped"), (GROUP, "dropped")]


async def queue(store: Store, chat_id: int, clock: Clock) -> None:
    """Plan a two-part digest for the chat, as the planner does, for the sender to send."""
    async with store.begin() as conn:
        await outbox.enqueue(
            conn, chat_id=chat_id, slot="digest:x", parts=["one", "two"], link_previews=False,
            now=clock(),
        )  # fmt: skip


async def outbox_chats(store: Store) -> list[tuple[int, str]]:
    """Return (chat_id, status) of every outbox row, oldest first."""
    stmt = select(outbox_table.c.chat_id, outbox_table.c.status).order_by(outbox_table.c.id)
    async with store.connect() as conn:
        return [(r.chat_id, r.status) for r in await conn.execute(stmt)]


async def test_chat_migrated_error_moves_the_subscription(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store
) -> None:
    bot_api.group(GROUP, "Readers", owner=OWNER)
    await say(bot_api, GROUP, "/subscribe", user_id=OWNER)
    new_id = -100200
    # Only the "group chat was upgraded" answer tells the bot, no service messages.
    bot_api.group(new_id, "Readers", owner=OWNER)
    bot_api.state.migrated[GROUP] = new_id
    bot_api.send(GROUP, "/digest", user_id=OWNER)
    [note] = [m.text for m in await bot_api.wait_sent(new_id)]
    assert note == words.MIGRATED
    assert await subscribed(store, new_id) is True
    assert await subscribed(store, GROUP) is None


async def subscribed(store: Store, chat_id: int) -> bool | None:
    """Return whether the chat's subscription is active (None: it has none)."""
    sub = await get_subscription(store, chat_id)
    return None if sub is None else sub.active


async def test_bot_added_kicked_and_blocked(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store
) -> None:
    bot_api.group(GROUP, "Readers", owner=OWNER)
    bot_api.add_to_channel(GROUP, by=OWNER)
    [welcome] = [m.text for m in await bot_api.wait_sent(GROUP)]
    assert welcome.startswith("👋 Hi! I'm a news digest bot.")
    await say(bot_api, GROUP, "/subscribe", user_id=OWNER)
    bot_api.kick(GROUP, by=OWNER)
    await say(bot_api, USER, "/subscribe")
    bot_api.block(USER)
    await eventually(lambda: subscribed(store, GROUP), False)
    await eventually(lambda: subscribed(store, USER), False)


async def test_channel_linked_by_a_bot_admin(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store
) -> None:
    channel = -100300
    bot_api.channel(channel, "Daily Channel", username="dailychan")
    bot_api.private_chat(ADMIN)
    bot_api.add_to_channel(channel, by=ADMIN)
    [note] = [m.text for m in await bot_api.wait_sent(ADMIN)]
    assert note == (
        f"I'm an admin of Daily Channel now. Send /linkchannel {channel} to send digests there."
    )
    assert await say(bot_api, USER, "/linkchannel @dailychan") == [words.NOT_ALLOWED]
    [linked] = await say(bot_api, ADMIN, "/linkchannel @dailychan")
    assert linked == "✅ Daily Channel now gets the digests."
    sub = await get_subscription(store, channel)
    assert sub is not None
    assert sub.active
    assert sub.chat_type == "channel"

    bot_api.channel(-100301, "Elsewhere")
    [not_admin] = await say(bot_api, ADMIN, "/linkchannel -100301")
    assert not_admin == "I'm not an admin of Elsewhere who may post. Promote me, then try again."
    bot_api.group(GROUP, "Readers", owner=OWNER)
    assert await say(bot_api, ADMIN, f"/linkchannel {GROUP}") == [f"{GROUP} is not a channel."]

    [unlinked] = await say(bot_api, ADMIN, "/unlinkchannel @dailychan")
    assert unlinked == "👋 The channel gets no more digests."
    sub = await get_subscription(store, channel)
    assert sub is not None
    assert not sub.active

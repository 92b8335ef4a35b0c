"""The fake Bot API, checked with the real python-telegram-bot Bot against the Bot API docs."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from telegram import (
    Bot,
    BotCommand,
    ChatMemberAdministrator,
    ChatMemberOwner,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)

from harness.botapi import FakeBotAPI, Limits, RemoteBotAPI
from harness.procs import start_bot_api

HTML = ParseMode.HTML


@pytest.fixture
async def bot(bot_api: FakeBotAPI) -> AsyncIterator[Bot]:
    async with bot_api.make_bot() as b:
        yield b


async def test_get_me_names_the_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.is_bot, me.username) == (True, "newsbot_test_bot")


async def test_a_wrong_token_is_unauthorized(bot_api: FakeBotAPI) -> None:
    with pytest.raises(InvalidToken, match="Unauthorized"):
        await Bot("1:wrong", base_url=bot_api.base_url).get_me()


async def test_send_message_returns_a_real_message(bot: Bot, bot_api: FakeBotAPI) -> None:
    bot_api.private_chat(42, "Ann")
    message = await bot.send_message(
        42,
        '<b>Hi</b> &amp; <a href="https://example.org/?a=1&amp;b=2">read</a>',
        parse_mode=HTML,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )

    assert message.message_id == 1
    assert message.chat.id == 42
    assert message.chat.type == "private"
    assert message.text == "Hi & read"
    assert message.date is not None
    kinds = [(e.type, e.offset, e.length, e.url) for e in message.entities]
    assert kinds == [("bold", 0, 2, None), ("text_link", 5, 4, "https://example.org/?a=1&b=2")]
    (seen,) = bot_api.sent(42)
    assert seen.text == "Hi & read"
    assert seen.link_preview_options == {"is_disabled": True}


@pytest.mark.parametrize(
    "text",
    [
        "<b>bold</b> <strong>s</strong> <i>i</i> <em>e</em> <u>u</u> <ins>n</ins>",
        "<s>s</s> <strike>k</strike> <del>d</del> <tg-spoiler>x</tg-spoiler>",
        '<span class="tg-spoiler">x</span> <code>c</code> <pre>p</pre>',
        '<pre><code class="language-python">x = 1</code></pre> <blockquote>q</blockquote>',
        "<blockquote expandable>long</blockquote> &lt;&gt;&quot;&#38;&#x41;",
    ],
    ids=["basic", "strike-spoiler", "span-code-pre", "pre-language", "expandable-entities"],
)
async def test_every_documented_tag_is_accepted(bot: Bot, text: str) -> None:
    assert (await bot.send_message(1, text, parse_mode=HTML)).text


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<div>x</div>", 'unsupported start tag "div"'),
        ("<b>never closed", 'find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'expected "</b>", found "</i>"'),
        ("1 < 2", "unsupported start tag"),
        ("AT&T", "character entity expected"),
        ("&nbsp;", 'unsupported html entity "&nbsp;"'),
        ("<span>x</span>", 'tag "span" must have class "tg-spoiler"'),
    ],
    ids=["unknown-tag", "unclosed", "crossed", "bare-lt", "bare-amp", "named-entity", "span"],
)
async def test_bad_html_is_rejected_like_telegram(bot: Bot, text: str, error: str) -> None:
    with pytest.raises(BadRequest, match="Can't parse entities") as caught:
        await bot.send_message(1, text, parse_mode=HTML)
    assert error in caught.value.message.lower()


async def test_the_4096_limit_counts_utf16_units_after_parsing(bot: Bot) -> None:
    assert await bot.send_message(1, "<b>" + "x" * 4096 + "</b>", parse_mode=HTML)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(1, "x" * 4097)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(1, "😀" * 2049)  # 4098 UTF-16 units


@pytest.mark.parametrize("text", ["", "   ", "<b> </b>"], ids=["empty", "spaces", "empty-tag"])
async def test_empty_text_is_rejected(bot: Bot, text: str) -> None:
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(1, text, parse_mode=HTML)


async def test_a_blocked_user_answers_403_and_the_bot_hears_of_it(
    bot: Bot, bot_api: FakeBotAPI
) -> None:
    bot_api.private_chat(7)
    bot_api.block(7)

    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(7, "hello?")
    (update,) = await bot.get_updates()
    assert update.my_chat_member is not None
    assert update.my_chat_member.new_chat_member.status == "kicked"

    bot_api.unblock(7)
    assert await bot.send_message(7, "welcome back")


async def test_injected_429_raises_retry_after(bot: Bot, bot_api: FakeBotAPI) -> None:
    bot_api.fail_next(1, status=429, retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(1, "x")
    assert caught.value.retry_after == timedelta(seconds=3)
    assert await bot.send_message(1, "x")  # only the next call failed
    assert [c.status for c in bot_api.calls("sendMessage")] == [429, 200]


async def test_flood_control_caps_the_overall_rate(bot: Bot, bot_api: FakeBotAPI) -> None:
    bot_api.set_limits(global_rate=5)
    outcomes: list[object] = []
    for chat_id in range(1, 21):
        try:
            outcomes.append(await bot.send_message(chat_id, "x"))
        except RetryAfter as exc:
            outcomes.append(exc.retry_after)
    assert all(not isinstance(o, timedelta) for o in outcomes[:5])
    assert timedelta(seconds=1) in outcomes


async def test_a_private_chat_gets_about_one_message_a_second(
    bot: Bot, bot_api: FakeBotAPI
) -> None:
    refused = 0
    for _ in range(Limits().private_burst + 5):
        try:
            await bot.send_message(5, "x")
        except RetryAfter:
            refused += 1
    assert refused > 0
    assert len(bot_api.sent(5)) >= Limits().private_burst


async def test_a_group_gets_20_messages_a_minute(bot: Bot, bot_api: FakeBotAPI) -> None:
    bot_api.group(-300, "Readers")
    for _ in range(20):
        await bot.send_message(-300, "x")
    with pytest.raises(RetryAfter):
        await bot.send_message(-300, "one too many")


@pytest.mark.parametrize("status", [500, 502, 0], ids=["500", "502", "dropped"])
async def test_server_errors_are_network_errors(
    bot: Bot, bot_api: FakeBotAPI, status: int
) -> None:
    bot_api.fail_next(1, status=status)
    with pytest.raises(NetworkError) as caught:
        await bot.send_message(1, "x")
    assert not isinstance(caught.value, BadRequest)
    assert bot_api.sent(1) == []


async def test_a_lost_answer_still_delivers_the_message(bot: Bot, bot_api: FakeBotAPI) -> None:
    bot_api.fail_next(1, status=0, deliver=True)
    with pytest.raises(NetworkError):
        await bot.send_message(1, "arrives anyway")
    assert bot_api.texts(1) == ["arrives anyway"]


async def test_get_updates_confirms_by_offset(bot: Bot, bot_api: FakeBotAPI) -> None:
    bot_api.private_chat(11)
    for text in ("/start", "hello", "/search cats"):
        bot_api.send(11, text)

    updates = await bot.get_updates()
    assert [u.message.text for u in updates if u.message] == ["/start", "hello", "/search cats"]
    assert updates[0].message is not None
    assert updates[0].message.entities[0].type == "bot_command"
    assert len(await bot.get_updates()) == 3  # not confirmed yet

    last = updates[-1].update_id
    assert await bot.get_updates(offset=last + 1) == ()
    assert await bot.get_updates() == ()


async def test_get_updates_long_polls_until_an_update_comes(bot: Bot, bot_api: FakeBotAPI) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await bot_api.wait_for(lambda: bot_api.polls_started() == 1)
    assert not poll.done()
    bot_api.send(12, "/help")
    (update,) = await asyncio.wait_for(poll, timeout=5)
    assert update.message is not None
    assert update.message.text == "/help"


async def test_a_second_poller_terminates_the_first(bot: Bot, bot_api: FakeBotAPI) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await bot_api.wait_for(lambda: bot_api.polls_started() == 1)
    async with bot_api.make_bot() as other:
        second = asyncio.create_task(other.get_updates(timeout=0))
        with pytest.raises(Conflict, match="terminated by other getUpdates"):
            await asyncio.wait_for(first, timeout=5)
        assert await second == ()


async def test_commands_round_trip(bot: Bot, bot_api: FakeBotAPI) -> None:
    await bot.set_my_commands([BotCommand("start", "Begin"), BotCommand("help", "Commands")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert bot_api.commands() == ["start", "help"]
    with pytest.raises(BadRequest):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])


async def test_buttons_edits_and_deletes(bot: Bot, bot_api: FakeBotAPI) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Next ›", callback_data="p:2")]])
    sent = await bot.send_message(21, "Page 1", reply_markup=keyboard)
    query_id = bot_api.press(21, "Next")

    (update,) = await bot.get_updates()
    assert update.callback_query is not None
    assert (update.callback_query.id, update.callback_query.data) == (query_id, "p:2")
    assert await bot.answer_callback_query(query_id, text="Loading")
    assert (await bot_api.wait_answer(query_id))["text"] == "Loading"
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)

    await bot.edit_message_text("Page 2", chat_id=21, message_id=sent.message_id)
    assert bot_api.texts(21) == ["Page 2"]
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Page 2", chat_id=21, message_id=sent.message_id)
    await bot.edit_message_reply_markup(21, sent.message_id, reply_markup=keyboard)
    assert bot_api.sent(21)[0].labels() == ["Next ›"]
    await bot.delete_message(21, sent.message_id)
    assert bot_api.sent(21) == []
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("gone", chat_id=21, message_id=sent.message_id)


async def test_callback_data_over_64_bytes_is_refused(bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(1, "x", reply_markup=keyboard)


async def test_a_migrated_group_points_to_its_supergroup(bot: Bot, bot_api: FakeBotAPI) -> None:
    bot_api.group(-77, "Old group", owner=500)
    new_id = bot_api.migrate(-77)

    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(-77, "x")
    assert caught.value.new_chat_id == new_id
    updates = await bot.get_updates()
    assert [u.message.migrate_to_chat_id for u in updates if u.message] == [new_id, None]
    assert (await bot.send_message(new_id, "x")).chat.type == "supergroup"


async def test_groups_and_channels_know_their_admins(bot: Bot, bot_api: FakeBotAPI) -> None:
    bot_api.group(-1001, "Readers", owner=500, admins=[501])
    bot_api.channel(-1002, "News", username="newschannel")
    bot_api.add_to_channel(-1002, by=600)

    assert isinstance(await bot.get_chat_member(-1001, 500), ChatMemberOwner)
    assert isinstance(await bot.get_chat_member(-1001, 501), ChatMemberAdministrator)
    assert (await bot.get_chat_member(-1001, 502)).status == "member"
    admins = await bot.get_chat_administrators(-1002)
    assert bot.id in [a.user.id for a in admins]
    assert (await bot.get_chat("@newschannel")).title == "News"

    bot_api.send(-1002, "a post")
    update = (await bot.get_updates())[-1]
    assert update.channel_post is not None
    assert update.channel_post.text == "a post"


async def test_updates_go_to_the_webhook_with_its_secret(bot: Bot, bot_api: FakeBotAPI) -> None:
    received: list[tuple[str | None, dict[str, object]]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(
                (self.headers.get("X-Telegram-Bot-Api-Secret-Token"), json.loads(body))
            )
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    hook = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, args=(0.05,), daemon=True).start()
    try:
        await bot.set_webhook(f"http://127.0.0.1:{hook.server_address[1]}/", secret_token="s3")
        with pytest.raises(Conflict):
            await bot.get_updates()
        bot_api.send(31, "/start")
        await bot_api.wait_for(lambda: received)
    finally:
        hook.shutdown()
        hook.server_close()
    secret, update = received[0]
    assert secret == "s3"
    assert update["message"]["text"] == "/start"  # type: ignore[index]


async def test_the_standalone_server_serves_another_process(tmp_path: Path) -> None:
    process, base_url = await asyncio.to_thread(start_bot_api, tmp_path, rate=50)
    try:
        remote = RemoteBotAPI(base_url.removesuffix("/bot"))
        async with Bot(FakeBotAPI().token, base_url=base_url) as bot:
            await bot.send_message(5, "<i>across</i>", parse_mode=HTML)
            await asyncio.to_thread(remote.control, "send", chat_id=5, text="/start")
            (update,) = await bot.get_updates()
        assert update.message is not None
        assert update.message.text == "/start"
        texts = await asyncio.to_thread(remote.control, "texts", chat_id=5)
        assert texts == ["across", "/start"] or texts == ["across"]
    finally:
        process.stop(timeout=10)


async def test_a_reply_to_a_force_reply_carries_the_question(
    bot: Bot, bot_api: FakeBotAPI
) -> None:
    question = await bot.send_message(41, "Your time zone?", reply_markup=ForceReply())
    bot_api.send(41, "Asia/Tokyo", reply_to=question.message_id)

    (update,) = await bot.get_updates()
    assert update.message is not None
    replied = update.message.reply_to_message
    assert replied is not None
    assert (replied.message_id, replied.text) == (question.message_id, "Your time zone?")
    assert replied.reply_markup is None  # messages only ever carry inline keyboards

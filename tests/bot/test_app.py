"""The Application itself: command menus, every command documented, the error handler."""

from __future__ import annotations

from pydantic import SecretStr
from sqlalchemy import text
from telegram.ext import CommandHandler

from bot.telegram import help
from bot.telegram.app import ALLOWED_UPDATES, NewsApp, file_base_url, webhook_options
from harness.botapi import FakeBotAPI
from news import words
from news.settings import Settings
from news.storage.db import Store
from tests.bot.conftest import ADMIN, USER, press, say


def registered_commands(app: NewsApp) -> set[str]:
    """Return every command a CommandHandler of the app answers."""
    return {
        command
        for handlers in app.handlers.values()
        for handler in handlers
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }


async def test_every_command_is_documented_and_handled(bot: NewsApp) -> None:
    assert registered_commands(bot) == set(help.COMMANDS)
    assert set(help.COMMANDS) >= help.ADMIN_COMMANDS
    assert set(help.GROUP_COMMANDS) <= set(help.COMMANDS)


def menu(api: FakeBotAPI, scope: str) -> list[str]:
    """Return the command names the bot registered for a scope whose JSON contains `scope`."""
    for call in api.calls("setMyCommands"):
        if scope in str(call.params.get("scope")):
            commands = call.params["commands"]
            assert isinstance(commands, list)
            return [str(command["command"]) for command in commands]
    raise AssertionError(f"no menu for {scope}")


async def test_command_menus_are_registered(bot: NewsApp, bot_api: FakeBotAPI) -> None:
    assert menu(bot_api, "all_private_chats") == help.public_commands()
    assert "addfeed" not in menu(bot_api, "all_private_chats")
    assert menu(bot_api, "all_group_chats") == list(help.GROUP_COMMANDS)
    assert menu(bot_api, str(ADMIN)) == list(help.COMMANDS)


async def test_a_failing_handler_answers_and_tells_the_admins(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store
) -> None:
    async with store.begin() as conn:  # a real fault: the table the search needs is gone
        await conn.execute(text("DROP TABLE searches"))
    assert await say(bot_api, USER, "/search <b>secret</b> words") == [words.SOMETHING_WRONG]
    [note] = [m.text for m in await bot_api.wait_sent(ADMIN)]
    assert note.startswith("⚠️ newsbot error: OperationalError")
    assert f"chat_id={USER}" in note
    assert "Traceback" in note
    assert "secret" not in note  # never the user's message

    # Buttons that fail are answered too (here: the same missing table).
    await say(bot_api, USER, "/start")
    answer = await press(bot_api, USER, words.BUTTON_SUBSCRIBE, data="s:1:2")
    assert answer["text"] == words.SOMETHING_WRONG


def test_file_base_url() -> None:
    assert file_base_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert file_base_url("http://127.0.0.1:8081/bot/") == "http://127.0.0.1:8081/file/bot"


def test_webhook_options(settings: Settings) -> None:
    hooked = settings.model_copy(
        update={
            "webhook_url": "https://bot.example.com/tg/hook",
            "webhook_port": 8080,
            "telegram_token": SecretStr("123:secret-part"),
        }
    )
    options = webhook_options(hooked)
    assert options["url_path"] == "tg/hook"
    assert (options["listen"], options["port"]) == ("0.0.0.0", 8080)
    assert options["webhook_url"] == "https://bot.example.com/tg/hook"
    assert options["allowed_updates"] == ALLOWED_UPDATES
    # Without NEWSBOT_WEBHOOK_SECRET a secret is still required of Telegram: derived from the
    # token, the same on every replica, and not the token itself.
    derived = options["secret_token"]
    assert len(derived) == 64
    assert derived == webhook_options(hooked)["secret_token"]
    assert "secret-part" not in derived
    chosen = hooked.model_copy(update={"webhook_secret": SecretStr("s3cret-Token_1")})
    assert webhook_options(chosen)["secret_token"] == "s3cret-Token_1"

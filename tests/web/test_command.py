"""/web in chat, the menu button and the digest's button: the ways into the Mini App."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
from telegram import InlineKeyboardButton

from bot.web.server import serving_web
from harness.botapi import FakeBotAPI
from jobs.deliver.sender import _app_button, _keyboard
from news import words
from news.models import OutboxMessage
from news.settings import Settings
from news.storage.db import Store
from tests.bot.conftest import Clock, bot_settings, running_bot
from tests.web.conftest import GROUP, USER


async def test_web_answers_with_a_signed_link_that_opens_the_chat(
    settings: Settings, store: Store, bot_api: FakeBotAPI
) -> None:
    async with serving_web(
        store, bot_settings(settings, bot_api), host="127.0.0.1", port=0
    ) as port:
        config = bot_settings(settings, bot_api, web_base_url=f"http://127.0.0.1:{port}")
        async with running_bot(config, store, bot_api, Clock(datetime.now(UTC))):
            bot_api.send(USER, "/web", user_id=USER)
            [answer] = await bot_api.wait_sent(USER, 1)
        assert "Your news in one window" in answer.text
        # Over plain http there is no web_app button (Telegram wants https): the link only.
        [button] = answer.buttons()
        assert button["text"] == words.BUTTON_OPEN_BROWSER
        link = str(button["url"])
        assert link.startswith(f"http://127.0.0.1:{port}/app/link/")
        async with httpx.AsyncClient(follow_redirects=True) as client:
            page = await client.get(link)
        assert page.status_code == 200
        assert str(page.url).endswith(f"/app/c/{USER}/digest")


async def test_web_in_a_group_makes_a_link_for_the_group(
    settings: Settings, store: Store, bot_api: FakeBotAPI
) -> None:
    config = bot_settings(settings, bot_api, web_base_url="https://news.example.com")
    bot_api.state.add_chat({"id": GROUP, "type": "supergroup", "title": "Readers"})
    async with running_bot(config, store, bot_api, Clock(datetime.now(UTC))):
        bot_api.send(GROUP, "/web", user_id=USER)
        [answer] = await bot_api.wait_sent(GROUP, 1)
    assert "for its members" in answer.text
    [button] = answer.buttons()  # web_app buttons are for private chats only
    assert str(button["url"]).startswith("https://news.example.com/app/link/")
    assert f"{GROUP}.{USER}." in str(button["url"])


async def test_the_menu_button_opens_the_app_over_https(
    settings: Settings, store: Store, bot_api: FakeBotAPI
) -> None:
    config = bot_settings(settings, bot_api, web_base_url="https://news.example.com")
    async with running_bot(config, store, bot_api, Clock(datetime.now(UTC))):
        bot_api.send(USER, "/web", user_id=USER)
        [answer] = await bot_api.wait_sent(USER, 1)
    [call] = bot_api.calls("setChatMenuButton")
    menu = json.loads(str(call.params["menu_button"]))  # a JSON field of a form post
    assert menu["type"] == "web_app"
    assert menu["web_app"] == {"url": "https://news.example.com/app/"}
    assert answer.buttons()[0]["web_app"] == {"url": "https://news.example.com/app/"}


def test_private_digests_get_the_app_button_and_groups_do_not(settings: Settings) -> None:
    config = settings.model_copy(update={"web_base_url": "https://news.example.com"})

    def row(chat_id: int, slot: str) -> OutboxMessage:
        now = datetime.now(UTC)
        return OutboxMessage(1, chat_id, slot, 0, "text", False, "pending", 0, now)

    button = _app_button(row(USER, "digest:2026-12-03T08:00Z"), config)
    assert isinstance(button, InlineKeyboardButton)
    assert button.web_app is not None
    assert button.web_app.url == "https://news.example.com/app/"
    assert _app_button(row(GROUP, "digest:2026-12-03T08:00Z"), config) is None
    assert _app_button(row(USER, "alert:7"), config) is None
    assert _app_button(row(USER, "digest:2026-12-03T08:00Z"), settings) is None
    keyboard = _keyboard('[[["Filter", "f:new"]]]', button)
    assert keyboard is not None
    assert [len(r) for r in keyboard.inline_keyboard] == [1, 1]


def test_run_serves_the_app_only_when_it_has_an_address(settings: Settings) -> None:
    from bot.roles import EVERYTHING, with_web

    with_url = settings.model_copy(update={"web_base_url": "https://news.example.com"})
    assert with_web(EVERYTHING, settings) == EVERYTHING
    assert with_web(EVERYTHING, with_url) == (*EVERYTHING, "web")
    assert with_web(("bot",), with_url) == ("bot",)
    assert with_web(("web",), with_url) == ("web",)

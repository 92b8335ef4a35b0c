"""/settings button data: named, within Telegram's 64 bytes, and old one-letter codes expire."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.telegram.app import NewsApp
from bot.telegram.settings_menu import parse_action
from bot.telegram.settings_screens import (
    Button,
    Screen,
    count_screen,
    feeds_screen,
    filters_screen,
    frequency_screen,
    main_screen,
    time_screen,
    zone_screen,
)
from harness.botapi import FakeBotAPI
from news import words
from news.models import Feed, SavedQuery, Subscription
from news.storage.db import Store
from news.storage.subscriptions import get_subscription
from tests.bot.conftest import USER, press, say

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
BIG_ID = 2**62  # the largest feed id a button accepts


def subscription(frequency: str) -> Subscription:
    return Subscription(
        id=1, chat_id=-1001234567890, chat_type="supergroup", active=True,
        digest_times=("08:00",), timezone="America/Los_Angeles", frequency=frequency,
        max_articles=10, feed_ids=None, link_previews=False, last_digest_at=None,
        next_digest_at=None,
    )  # fmt: skip


def feeds(count: int) -> list[Feed]:
    return [
        Feed(id=BIG_ID - n, url=f"https://f{n}.example/feed", next_check_at=NOW)
        for n in range(count)
    ]


def every_screen() -> list[Screen]:
    many = feeds(9999 * 8 + 1)  # so many sources that the last page is number 9999
    screens = [feeds_screen(subscription("daily"), many, page) for page in (0, 5000, 9999)]
    saved = [SavedQuery(id=BIG_ID - n, chat_id=1, query=f"-w{n}") for n in range(20)]
    screens.append(filters_screen([(f, None) for f in saved]))
    for frequency in ("daily", "twice", "hourly", "off"):
        sub = subscription(frequency)
        screens += [
            main_screen(sub, 3),
            time_screen(sub, 3),
            zone_screen(sub, 3),
            frequency_screen(sub, 3),
            count_screen(sub, 3),
        ]
    return screens


def test_every_button_fits_telegram_and_names_what_it_does() -> None:
    datas = [
        str(button.callback_data)
        for screen in every_screen()
        if screen.keyboard is not None
        for row in screen.keyboard.inline_keyboard
        for button in row
    ]
    assert max(len(d.encode()) for d in datas) <= 64
    buttons = {parse_action(d).button for d in datas}
    assert buttons == set(Button)
    assert all(len(b.value) > 2 for b in buttons)


@pytest.mark.parametrize(
    "data", ["st:f:off", "st:t:9", "st:n:3", "st:p", "st:x:1:0", "st:m", "st:zt", "st:d"]
)
async def test_an_old_one_letter_button_has_expired(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store, data: str
) -> None:
    await say(bot_api, USER, "/subscribe")
    await say(bot_api, USER, "/settings")
    before = await get_subscription(store, USER)

    answer = await press(bot_api, USER, words.BUTTON_FREQUENCY, data=data)

    assert answer.get("text") == words.STALE_BUTTON
    assert await get_subscription(store, USER) == before

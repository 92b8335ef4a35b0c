"""The /settings screens: pure functions from a subscription to text and keyboard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from news import words
from news.digest_times import FREQUENCIES, format_time, parse_time
from news.models import Feed, SavedQuery, Subscription

ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Moscow",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/Sao_Paulo",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
)
COUNTS = (3, 5, 10, 15, 20, 30)
MINUTES = (0, 15, 30, 45)
FEEDS_PER_PAGE = 8
REMOVE_PER_ROW = 4
BUTTON_TITLE_CHARS = 28


PREFIX = "st"


class Button(StrEnum):
    """What a settings button does; the value goes in its callback data."""

    MAIN = "main"
    TIME = "time"  # the time picker, or with an hour: that hour
    MINUTE = "minute"  # with a minute: hourly digests at that minute
    ZONE = "zone"  # the zone picker, or with an index into ZONES: that zone
    TYPED_ZONE = "zone-typed"  # ask for a zone name in a reply
    FREQUENCY = "frequency"  # the picker, or with a frequency: that one
    ARTICLES = "articles"  # the picker, or with a number: that many articles
    SOURCES = "sources"  # with a page: that page of the source toggles
    SOURCE = "source"  # with a feed id and the page: include or leave out that feed
    ALL_SOURCES = "all-sources"  # with the page: every feed
    PREVIEWS = "previews"  # link previews on or off
    DONE = "done"
    FILTERS = "filters"  # the chat's filters
    REMOVE_FILTER = "filter-remove"  # with a filter id: remove that filter


def data(button: Button, *args: object) -> str:
    """Return the callback data "st:<button>[:<arg>...]" (a few dozen bytes at most)."""
    return ":".join([PREFIX, button.value, *map(str, args)])


@dataclass(frozen=True, slots=True)
class Screen:
    """What the settings message shows: text and keyboard."""

    text: str
    keyboard: InlineKeyboardMarkup | None


def _button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data)


def _rows(buttons: Sequence[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]


def _check(selected: bool, label: str) -> str:
    return f"✅ {label}" if selected else label


def times_label(sub: Subscription) -> str:
    """Return the digest time(s) as the chat reads them."""
    times = [parse_time(t) for t in sub.digest_times]
    if sub.frequency == "hourly":
        return words.every_hour_at(times[0].minute)
    if sub.frequency == "twice":
        if len(times) == 1:
            times.append(time((times[0].hour + 12) % 24, times[0].minute))
        return words.AND.join(format_time(t) for t in times[:2])
    return format_time(times[0])


def summary(sub: Subscription, feeds_total: int, *notes: str) -> str:
    """Return the settings text, after the confirmation or prompt lines given."""
    chosen = sub.feed_ids
    every = chosen is None or len(chosen) >= feeds_total
    feeds = words.ALL if every or chosen is None else words.some_of(len(chosen), feeds_total)
    body = words.settings_summary(
        times=times_label(sub),
        zone=sub.timezone,
        frequency=sub.frequency,
        articles=sub.max_articles,
        feeds=feeds,
        previews=sub.link_previews,
    )
    head = [n for n in notes if n]
    return "\n\n".join([*head, body])


def main_screen(sub: Subscription, feeds_total: int, note: str = "") -> Screen:
    """Return the main settings screen."""
    previews = words.button_previews(sub.link_previews)
    keyboard = [
        [
            _button(words.BUTTON_TIME, data(Button.TIME)),
            _button(words.BUTTON_ZONE, data(Button.ZONE)),
        ],
        [
            _button(words.BUTTON_FREQUENCY, data(Button.FREQUENCY)),
            _button(words.BUTTON_ARTICLES, data(Button.ARTICLES)),
        ],
        [
            _button(words.BUTTON_SOURCES, data(Button.SOURCES, 0)),
            _button(previews, data(Button.PREVIEWS)),
        ],
        [
            _button(words.BUTTON_FILTERS, data(Button.FILTERS)),
            _button(words.BUTTON_DONE, data(Button.DONE)),
        ],
    ]
    return Screen(summary(sub, feeds_total, note), InlineKeyboardMarkup(keyboard))


def _back() -> list[InlineKeyboardButton]:
    return [_button(words.BUTTON_BACK, data(Button.MAIN))]


def time_screen(sub: Subscription, feeds_total: int, note: str = "") -> Screen:
    """Return the digest time picker (minutes for hourly digests)."""
    chosen = {parse_time(t) for t in sub.digest_times}
    if sub.frequency == "hourly":
        minute = parse_time(sub.digest_times[0]).minute
        buttons = [
            _button(_check(m == minute, f":{m:02d}"), data(Button.MINUTE, m)) for m in MINUTES
        ]
    else:
        hours = {t.hour for t in chosen if t.minute == 0}
        buttons = [
            _button(_check(h in hours, f"{h:02d}:00"), data(Button.TIME, h)) for h in range(24)
        ]
    keyboard = [*_rows(buttons, 4), _back()]
    text = summary(sub, feeds_total, note) + "\n\n" + words.SETTINGS_PICK_TIME
    return Screen(text, InlineKeyboardMarkup(keyboard))


def zone_screen(sub: Subscription, feeds_total: int, note: str = "") -> Screen:
    """Return the time zone picker."""
    buttons = [
        _button(_check(z == sub.timezone, z), data(Button.ZONE, i)) for i, z in enumerate(ZONES)
    ]
    keyboard = [
        *_rows(buttons, 2),
        [_button(words.BUTTON_TYPE_ZONE, data(Button.TYPED_ZONE))],
        _back(),
    ]
    text = summary(sub, feeds_total, note) + "\n\n" + words.SETTINGS_PICK_ZONE
    return Screen(text, InlineKeyboardMarkup(keyboard))


def frequency_screen(sub: Subscription, feeds_total: int, note: str = "") -> Screen:
    """Return the frequency picker."""
    buttons = [
        _button(_check(f == sub.frequency, words.FREQUENCY_NAMES[f]), data(Button.FREQUENCY, f))
        for f in FREQUENCIES
    ]
    keyboard = [*_rows(buttons, 2), _back()]
    text = summary(sub, feeds_total, note) + "\n\n" + words.SETTINGS_PICK_FREQUENCY
    return Screen(text, InlineKeyboardMarkup(keyboard))


def count_screen(sub: Subscription, feeds_total: int, note: str = "") -> Screen:
    """Return the article count picker."""
    buttons = [
        _button(_check(n == sub.max_articles, str(n)), data(Button.ARTICLES, n)) for n in COUNTS
    ]
    keyboard = [*_rows(buttons, 3), _back()]
    text = summary(sub, feeds_total, note) + "\n\n" + words.SETTINGS_PICK_COUNT
    return Screen(text, InlineKeyboardMarkup(keyboard))


def feeds_screen(sub: Subscription, feeds: list[Feed], page: int, note: str = "") -> Screen:
    """Return one page of the source toggles."""
    pages = max(1, -(-len(feeds) // FEEDS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = feeds[page * FEEDS_PER_PAGE : (page + 1) * FEEDS_PER_PAGE]
    included = None if sub.feed_ids is None else set(sub.feed_ids)
    keyboard = [
        [
            _button(
                _check(included is None or f.id in included, _short(f.title or f.url)),
                data(Button.SOURCE, f.id, page),
            )
        ]
        for f in shown
    ]
    nav = []
    if page > 0:
        nav.append(_button(words.BUTTON_PREVIOUS, data(Button.SOURCES, page - 1)))
    if page < pages - 1:
        nav.append(_button(words.BUTTON_NEXT, data(Button.SOURCES, page + 1)))
    keyboard += [nav] if nav else []
    keyboard += [[_button(words.BUTTON_ALL_FEEDS, data(Button.ALL_SOURCES, page))], _back()]
    text = summary(sub, len(feeds), note) + "\n\n" + words.SETTINGS_PICK_FEEDS
    return Screen(text, InlineKeyboardMarkup(keyboard))


def _short(title: str) -> str:
    title = " ".join(title.split())
    return title if len(title) <= BUTTON_TITLE_CHARS else title[: BUTTON_TITLE_CHARS - 1] + "…"


def filters_screen(filters: Sequence[tuple[SavedQuery, str | None]], note: str = "") -> Screen:
    """Return the chat's filters (each with the source it is for) with a Remove button each."""
    lines = [words.filter_line(n, f.query, source) for n, (f, source) in enumerate(filters, 1)]
    listed = "\n".join([words.FILTERS_TITLE, *lines]) if filters else words.NO_FILTERS
    removes = [
        _button(f"{words.BUTTON_REMOVE} {n}", data(Button.REMOVE_FILTER, f.id))
        for n, (f, _) in enumerate(filters, 1)
    ]
    keyboard = [*_rows(removes, REMOVE_PER_ROW), _back()]
    text = "\n\n".join([*([note] if note else []), listed, words.SETTINGS_ADD_FILTER])
    return Screen(text, InlineKeyboardMarkup(keyboard))

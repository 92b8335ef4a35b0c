"""/settings: one message with an inline keyboard; each change edits it and confirms.

Button data is "st:<button>[:<arg>[:<page>]]" (settings_screens.Button names what a button
does), well under Telegram's 64 bytes, and everything else is read from the database on each
press, so any bot replica can handle any button. Typed forms do the
same without buttons: `/settings time 07:30`, `/settings tz Europe/Berlin`, `/settings articles 5`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import time

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.telegram.chats import refuse_non_manager
from bot.telegram.commands import START_SUBSCRIBE
from bot.telegram.services import chat_and_message, get_store, now
from bot.telegram.settings_screens import (
    COUNTS,
    MINUTES,
    PREFIX,
    ZONES,
    Button,
    Screen,
    count_screen,
    data,
    feeds_screen,
    filters_screen,
    frequency_screen,
    main_screen,
    summary,
    time_screen,
    times_label,
    zone_screen,
)
from news import words
from news.digest_times import FREQUENCIES, parse_time
from news.filters import listed_filters, remove_filter
from news.models import Feed, Subscription
from news.sources import chat_feeds
from news.storage.subscriptions import get_subscription
from news.subscriptions import update_subscription

log = logging.getLogger(__name__)


async def _send_screen(message: Message, screen: Screen) -> None:
    await message.reply_text(screen.text, reply_markup=screen.keyboard)


async def settings_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/settings [time|tz|articles|frequency|previews VALUE]: the keyboard, or a typed change."""
    chat, message = chat_and_message(update)
    if await refuse_non_manager(update, context):
        return
    store = get_store(context)
    sub = await get_subscription(store, chat.id)
    if sub is None or not sub.active:
        button = InlineKeyboardButton(words.BUTTON_SUBSCRIBE, callback_data=START_SUBSCRIBE)
        keyboard = InlineKeyboardMarkup([[button]])
        await message.reply_text(words.NOT_SUBSCRIBED_SETTINGS, reply_markup=keyboard)
        return
    args = context.args or []
    if not args:
        await _send_screen(message, main_screen(sub, len(await chat_feeds(store, sub.chat_id))))
        return
    await _typed_reply(context, message, sub, args[0].lower(), " ".join(args[1:]))


async def _typed_reply(
    context: ContextTypes.DEFAULT_TYPE, message: Message, sub: Subscription, key: str, value: str
) -> None:
    """Apply a typed change; answer with the settings, the usage line or what was wrong."""
    try:
        sub, note = await typed_change(context, sub, key, value)
    except ValueError as exc:
        await message.reply_text(words.invalid_setting(_sentence(str(exc))))
        return
    if not note:
        await message.reply_text(words.SETTINGS_USAGE)
        return
    feeds_total = len(await chat_feeds(get_store(context), sub.chat_id))
    await _send_screen(message, main_screen(sub, feeds_total, words.setting_changed(note)))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


async def typed_change(
    context: ContextTypes.DEFAULT_TYPE, sub: Subscription, key: str, value: str
) -> tuple[Subscription, str]:
    """Apply `/settings KEY VALUE`; return the subscription and a confirmation ("" = unknown)."""
    store, at, chat_id = get_store(context), now(context), sub.chat_id
    if key in ("time", "times"):
        times = [parse_time(part) for part in value.replace(" ", ",").split(",") if part]
        frequency = "twice" if len(times) == 2 else None
        sub = await update_subscription(
            store, chat_id, now=at, digest_times=times, frequency=frequency
        )
        return sub, words.time_set(times_label(sub))
    if key in ("tz", "timezone", "zone"):
        sub = await update_subscription(store, chat_id, now=at, timezone=value.strip())
        return sub, words.zone_set(sub.timezone)
    if key in ("articles", "count"):
        if not (value.strip().isascii() and value.strip().isdigit()):
            raise ValueError(words.ARTICLES_NOT_A_NUMBER)
        sub = await update_subscription(store, chat_id, now=at, max_articles=int(value))
        return sub, words.articles_set(sub.max_articles)
    if key in ("frequency", "freq"):
        sub = await update_subscription(store, chat_id, now=at, frequency=value.strip().lower())
        return sub, words.frequency_set(sub.frequency)
    if key in ("previews", "preview") and value.strip().lower() in ("on", "off"):
        on = value.strip().lower() == "on"
        sub = await update_subscription(store, chat_id, now=at, link_previews=on)
        return sub, words.previews_set(sub.link_previews)
    return sub, ""


async def zone_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A reply to the "send me your time zone" prompt."""
    chat, message = chat_and_message(update)
    if await refuse_non_manager(update, context):
        return
    store = get_store(context)
    sub = await get_subscription(store, chat.id)
    if sub is None or not sub.active:
        await message.reply_text(words.NOT_SUBSCRIBED_SETTINGS)
        return
    await _typed_reply(context, message, sub, "tz", message.text or "")


class _ZonePromptReply(filters.MessageFilter):
    """Messages that answer the bot's time zone prompt."""

    def filter(self, message: Message) -> bool:
        replied = message.reply_to_message
        return (
            replied is not None
            and replied.from_user is not None
            and replied.from_user.is_bot
            and replied.text == words.ZONE_PROMPT
        )


async def ask_zone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The "Type another" button: ask for the zone name in a reply."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    await query.answer()
    await context.bot.send_message(
        chat.id,
        words.ZONE_PROMPT,
        parse_mode=None,
        reply_markup=ForceReply(selective=True, input_field_placeholder=words.ZONE_EXAMPLE),
    )


async def edit_screen(update: Update, screen: Screen) -> None:
    """Show `screen` in the pressed message (a new message when it can't be edited)."""
    query = update.callback_query
    if query is None:
        return
    try:
        await query.edit_message_text(screen.text, reply_markup=screen.keyboard)
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            return  # the same choice twice: nothing to change
        chat = update.effective_chat
        if chat is None:
            raise
        log.info("settings message not editable chat_id=%s error=%s", chat.id, exc)
        await chat.send_message(screen.text, reply_markup=screen.keyboard)


class StaleButtonError(Exception):
    """Button data that no current keyboard produces (old, forged or malformed)."""


@dataclass(frozen=True, slots=True)
class Action:
    """A parsed settings button: "st:<button>[:<arg>[:<page>]]"."""

    button: Button
    arg: str = ""
    page: int = 0


_BUTTONS = frozenset(button.value for button in Button)


def parse_action(data: str) -> Action:
    """Return the action of a settings button; raise StaleButtonError when malformed or old.

    Buttons sent before the buttons had names ("st:t:8") are stale like any unknown data.
    """
    parts = data.split(":")
    if parts[0] != PREFIX or not 2 <= len(parts) <= 4 or len(data) > 64:
        raise StaleButtonError(data)
    page = parts[3] if len(parts) == 4 else "0"
    if parts[1] not in _BUTTONS or not (page.isascii() and page.isdigit()):
        raise StaleButtonError(data)
    return Action(Button(parts[1]), parts[2] if len(parts) >= 3 else "", int(page))


def _int(value: str, low: int, high: int) -> int:
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        raise StaleButtonError(value)
    return int(value)


async def settings_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A press on the /settings keyboard: apply it, confirm, and edit the message."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    try:
        action = parse_action(query.data or "")
    except StaleButtonError:
        await query.answer(words.STALE_BUTTON)
        return
    if await refuse_non_manager(update, context):
        return
    store = get_store(context)
    sub = await get_subscription(store, chat.id)
    if sub is None or not sub.active:
        await query.answer(words.NOT_SUBSCRIBED_SETTINGS, show_alert=True)
        return
    try:
        screen, note = await apply_action(
            context, sub, await chat_feeds(store, sub.chat_id), action
        )
    except StaleButtonError:
        await query.answer(words.STALE_BUTTON)
        return
    except ValueError as exc:
        await query.answer(_sentence(str(exc)), show_alert=True)
        return
    # Edit first: once the button's spinner stops, the message already shows the change.
    await edit_screen(update, screen)
    await query.answer(note or None)


_PICKERS = {
    Button.MAIN: main_screen,
    Button.TIME: time_screen,
    Button.ZONE: zone_screen,
    Button.FREQUENCY: frequency_screen,
    Button.ARTICLES: count_screen,
}


async def apply_action(
    context: ContextTypes.DEFAULT_TYPE, sub: Subscription, feeds: list[Feed], action: Action
) -> tuple[Screen, str]:
    """Return the screen to show after `action` and its confirmation ("" when just browsing)."""
    total, button, arg = len(feeds), action.button, action.arg
    if button in _PICKERS and not arg:
        return _PICKERS[button](sub, total), ""
    if button is Button.SOURCES:
        return feeds_screen(sub, feeds, _int(arg, 0, 9999)), ""
    if button in (Button.SOURCE, Button.ALL_SOURCES):
        sub, note = await _toggle_feed(context, sub, feeds, button, arg)
        return feeds_screen(sub, feeds, action.page, words.setting_changed(note)), note
    if button in (Button.TIME, Button.MINUTE):
        sub, note = await _pick_time(context, sub, button, arg)
        stay = sub.frequency in ("twice", "hourly")
        screen = time_screen if stay else main_screen
        return screen(sub, total, words.setting_changed(note)), note
    if button is Button.DONE:
        return Screen(summary(sub, total) + "\n\n" + words.SETTINGS_CLOSED, None), ""
    if button in (Button.FILTERS, Button.REMOVE_FILTER):
        return await _filters(context, sub.chat_id, button, arg)
    sub, note = await _set_one(context, sub, button, arg)
    return main_screen(sub, total, words.setting_changed(note)), note


async def _filters(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, button: Button, arg: str
) -> tuple[Screen, str]:
    """Return the filters screen, after removing the filter a Remove button names."""
    store, note = get_store(context), ""
    if button is Button.REMOVE_FILTER:
        removed = await remove_filter(store, chat_id, _int(arg, 1, 2**62))
        note = words.FILTER_REMOVED if removed else words.FILTER_GONE
    filters = await listed_filters(store, chat_id)
    return filters_screen(filters, words.setting_changed(note) if note else ""), note


async def _set_one(
    context: ContextTypes.DEFAULT_TYPE, sub: Subscription, button: Button, arg: str
) -> tuple[Subscription, str]:
    """Apply a button that sets one value: a zone, a frequency, an article count, previews."""
    store, at, chat_id = get_store(context), now(context), sub.chat_id
    if button is Button.ZONE:
        zone = ZONES[_int(arg, 0, len(ZONES) - 1)]
        sub = await update_subscription(store, chat_id, now=at, timezone=zone)
        return sub, words.zone_set(sub.timezone)
    if button is Button.FREQUENCY:
        if arg not in FREQUENCIES:
            raise StaleButtonError(arg)
        sub = await update_subscription(store, chat_id, now=at, frequency=arg)
        return sub, words.frequency_set(sub.frequency)
    if button is Button.ARTICLES:
        count = _int(arg, min(COUNTS), max(COUNTS))
        sub = await update_subscription(store, chat_id, now=at, max_articles=count)
        return sub, words.articles_set(sub.max_articles)
    if button is Button.PREVIEWS:
        previews = not sub.link_previews
        sub = await update_subscription(store, chat_id, now=at, link_previews=previews)
        return sub, words.previews_set(sub.link_previews)
    raise StaleButtonError(button)


async def _pick_time(
    context: ContextTypes.DEFAULT_TYPE, sub: Subscription, button: Button, arg: str
) -> tuple[Subscription, str]:
    current = [parse_time(t) for t in sub.digest_times]
    if button is Button.MINUTE:
        minute = _int(arg, 0, 59)
        if minute not in MINUTES:
            raise StaleButtonError(arg)
        times = [time(current[0].hour, minute), *current[1:]]
    elif sub.frequency != "twice":
        times = [time(_int(arg, 0, 23), 0)]
    else:
        picked = time(_int(arg, 0, 23), 0)
        if picked in current:
            # Tapping a chosen time removes it; the last one stays (twice = it and +12 h).
            times = [t for t in current if t != picked] or current
        elif len(current) >= 2:
            raise ValueError(words.TWO_TIMES_FULL)
        else:
            times = sorted([*current, picked])
    sub = await update_subscription(
        get_store(context), sub.chat_id, now=now(context), digest_times=times
    )
    return sub, words.time_set(times_label(sub))


async def _toggle_feed(
    context: ContextTypes.DEFAULT_TYPE,
    sub: Subscription,
    feeds: list[Feed],
    button: Button,
    arg: str,
) -> tuple[Subscription, str]:
    every = {f.id for f in feeds}
    if button is Button.ALL_SOURCES:
        chosen: set[int] | None = None
    else:
        feed_id = _int(arg, 1, 2**62)
        if feed_id not in every:
            raise StaleButtonError(arg)
        chosen = (every if sub.feed_ids is None else set(sub.feed_ids) & every) ^ {feed_id}
        if not chosen:
            raise ValueError(words.NEED_ONE_FEED)
        if chosen == every:
            chosen = None
    feed_ids = None if chosen is None else sorted(chosen)
    sub = await update_subscription(
        get_store(context), sub.chat_id, now=now(context), feed_ids=feed_ids
    )
    return sub, words.feeds_set(None if sub.feed_ids is None else len(sub.feed_ids))


def handlers() -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
    """Return /settings, its buttons and the time zone reply."""
    return [
        CommandHandler("settings", settings_command),
        CallbackQueryHandler(ask_zone, pattern=f"^{data(Button.TYPED_ZONE)}$"),
        CallbackQueryHandler(settings_button, pattern=f"^{PREFIX}(:|$)"),
        MessageHandler(
            filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE & _ZonePromptReply(),
            zone_reply,
        ),
    ]

"""/filter Q, /filter SOURCE_ID Q, /filter alone (the list with Remove buttons), and the buttons.

A Remove button carries only the filter's id ("f:rm:<id>"); the chat it is pressed in must own
the filter, so a forwarded keyboard removes nothing elsewhere.
"""

from __future__ import annotations

import logging
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.telegram.chats import refuse_non_manager
from bot.telegram.search import query_of
from bot.telegram.services import chat_and_message, get_store, now
from news import words
from news.errors import QueryError
from news.filters import add_filter, listed_filters, remove_filter
from news.sources import chat_feeds
from news.storage.subscriptions import get_subscription
from news.subscriptions import update_subscription

log = logging.getLogger(__name__)

REMOVE_DATA = re.compile(r"f:rm:(\d{1,12})")
MUTE_DATA = re.compile(r"mu:(\d{1,12})")


async def filters_screen(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Return the chat's filters as a message with one Remove button each."""
    saved = await listed_filters(get_store(context), chat_id)
    if not saved:
        return f"{words.NO_FILTERS}\n\n{words.FILTER_USAGE}", None
    lines = [words.filter_line(n, f.query, source) for n, (f, source) in enumerate(saved, 1)]
    buttons = [
        [InlineKeyboardButton(f"{words.BUTTON_REMOVE} {n}", callback_data=f"f:rm:{f.id}")]
        for n, (f, _) in enumerate(saved, 1)
    ]
    return "\n".join([words.FILTERS_TITLE, *lines]), InlineKeyboardMarkup(buttons)


async def filter_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/filter Q saves a filter; /filter alone lists them."""
    chat, message = chat_and_message(update)
    text = query_of(message.text or "")
    if not text:
        screen, keyboard = await filters_screen(context, chat.id)
        await message.reply_text(screen, reply_markup=keyboard)
        return
    if await refuse_non_manager(update, context):
        return
    try:
        saved = await add_filter(get_store(context), chat.id, text, now=now(context))
    except QueryError as exc:
        await message.reply_text(words.bad_query(words.reason(exc)))
        return
    log.info("filter added chat_id=%s filter_id=%s", chat.id, saved.id)
    await message.reply_text(words.filter_saved(saved.query))


async def remove_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Remove: delete the filter and show the list again."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None or await refuse_non_manager(update, context):
        return
    match = REMOVE_DATA.fullmatch(query.data or "")
    removed = bool(match) and await remove_filter(
        get_store(context), chat.id, int(match[1]) if match else 0
    )
    screen, keyboard = await filters_screen(context, chat.id)
    await query.edit_message_text(screen, reply_markup=keyboard)
    await query.answer(words.FILTER_REMOVED if removed else words.FILTER_GONE)


async def filter_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Filter… (under a digest): show the chat's filters and how to add one."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    screen, keyboard = await filters_screen(context, chat.id)
    await query.answer()
    await context.bot.send_message(chat.id, screen, reply_markup=keyboard)


async def mute_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Mute <source> (under a digest): the chat's digests leave that source out."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None or await refuse_non_manager(update, context):
        return
    match = MUTE_DATA.fullmatch(query.data or "")
    store = get_store(context)
    sub = await get_subscription(store, chat.id)
    feeds = {feed.id: feed for feed in await chat_feeds(store, chat.id)}
    feed = feeds.get(int(match[1])) if match else None
    if sub is None or feed is None:
        await query.answer(words.SEARCH_EXPIRED)
        return
    chosen = (set(feeds) if sub.feed_ids is None else set(sub.feed_ids) & set(feeds)) - {feed.id}
    if not chosen:
        await query.answer(words.MUTED_ALL, show_alert=True)
        return
    await update_subscription(store, chat.id, now=now(context), feed_ids=sorted(chosen))
    log.info("source muted chat_id=%s feed_id=%s", chat.id, feed.id)
    await query.answer(words.muted(feed.title or feed.url))


def handlers() -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
    """Return /filter and its buttons, and the Mute / Filter… buttons under digests."""
    return [
        CommandHandler("filter", filter_command),
        CallbackQueryHandler(remove_button, pattern=r"^f:rm:"),
        CallbackQueryHandler(filter_button, pattern=r"^f:new$"),
        CallbackQueryHandler(mute_button, pattern=r"^mu:"),
    ]

"""/alert Q, /alerts, the Stop and "Move to digest" buttons under each alert, and "Alert me".

Buttons carry ids only ("al:stop:<alert id>", "al:dg:<alert id>", "al:s:<search id>"); the
chat they are pressed in must own the alert or the search.
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
from news.alerts import add_alert
from news.errors import QueryError
from news.storage import alerts as alert_store
from news.storage.searches import get_search
from news.storage.subscriptions import get_subscription

log = logging.getLogger(__name__)

STOP_DATA = re.compile(r"al:(stop|dg):(\d{1,12})")
SEARCH_DATA = re.compile(r"al:s:(\d{1,12})")


async def _save(context: ContextTypes.DEFAULT_TYPE, chat_id: int, query: str) -> str:
    """Return the answer to saving `query` as the chat's alert."""
    try:
        saved = await add_alert(get_store(context), chat_id, query, now=now(context))
    except QueryError as exc:
        return words.bad_query(words.reason(exc))
    log.info("alert added chat_id=%s alert_id=%s", chat_id, saved.id)
    return words.alert_saved(saved.query)


async def alert_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/alert Q saves an alert; /alert alone explains itself."""
    chat, message = chat_and_message(update)
    query = query_of(message.text or "")
    if not query:
        await message.reply_text(words.ALERT_USAGE)
        return
    if await refuse_non_manager(update, context):
        return
    await message.reply_text(await _save(context, chat.id, query))


async def alerts_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/alerts: the chat's alerts, each with a Stop button."""
    chat, message = chat_and_message(update)
    saved = await alert_store.chat_alerts(get_store(context), chat.id)
    if not saved:
        await message.reply_text(words.NO_ALERTS)
        return
    lines = [words.alert_line(n, a.query) for n, a in enumerate(saved, 1)]
    buttons = [
        [InlineKeyboardButton(f"{words.BUTTON_STOP} {n}", callback_data=f"al:stop:{a.id}")]
        for n, a in enumerate(saved, 1)
    ]
    text = "\n".join([words.ALERTS_TITLE, *lines])
    await message.reply_text(text, reply_markup=InlineKeyboardMarkup(buttons))


async def stop_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop / Move to digest: the alert sends no more; the digest still has such stories."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None or await refuse_non_manager(update, context):
        return
    match = STOP_DATA.fullmatch(query.data or "")
    store = get_store(context)
    removed = await alert_store.remove_alert(store, chat.id, int(match[2])) if match else None
    if removed is None or match is None:
        await query.answer(words.ALERT_GONE)
        return
    log.info("alert stopped chat_id=%s alert_id=%s", chat.id, removed.id)
    if match[1] == "stop":
        await query.answer(words.ALERT_STOPPED)
        return
    sub = await get_subscription(store, chat.id)
    subscribed = sub is not None and sub.active
    await query.answer(words.ALERT_MOVED if subscribed else words.ALERT_MOVED_SUBSCRIBE)


async def alert_me_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Alert me (under search results): save the search as an alert."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None or await refuse_non_manager(update, context):
        return
    match = SEARCH_DATA.fullmatch(query.data or "")
    saved = await get_search(get_store(context), int(match[1]), chat.id) if match else None
    if saved is None:
        await query.answer(words.SEARCH_EXPIRED)
        return
    await query.answer()
    await context.bot.send_message(chat.id, await _save(context, chat.id, saved))


def handlers() -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
    """Return /alert, /alerts and the alert buttons."""
    return [
        CommandHandler("alert", alert_command),
        CommandHandler("alerts", alerts_command),
        CallbackQueryHandler(stop_button, pattern=r"^al:(stop|dg):"),
        CallbackQueryHandler(alert_me_button, pattern=r"^al:s:"),
    ]

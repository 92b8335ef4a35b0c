"""/search WORDS, its Previous/Next buttons and the per-result article button.

The query is saved in the database and the buttons carry only ids ("s:<search id>:<page>",
"a:<article id>"), so they fit Telegram's 64 bytes whatever was searched, and any bot replica
can handle them. A button whose search or article is gone gets a short notice.
"""

from __future__ import annotations

import logging
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.telegram.limits import search_allowed
from bot.telegram.services import chat_and_message, get_settings, get_store, now
from news import words
from news.errors import QueryError
from news.models import SearchHit
from news.render import render_article, render_search_results
from news.search import PER_PAGE, search_page
from news.storage.articles import get_article
from news.storage.searches import get_search, save_search
from news.storage.subscriptions import get_subscription

log = logging.getLogger(__name__)

# Longer queries are cut: no one types more, and it bounds the database's work.
MAX_QUERY_CHARS = 500
MAX_PAGE = 1000
PAGE_DATA = re.compile(r"s:(\d{1,12}):(\d{1,4})")
ARTICLE_DATA = re.compile(r"a:(\d{1,12})")


def query_of(text: str) -> str:
    """Return what follows the command in `text` ("/search@bot a b" -> "a b"), cut to size."""
    parts = text.split(maxsplit=1)
    return parts[1].strip()[:MAX_QUERY_CHARS] if len(parts) == 2 else ""


def results_keyboard(
    hits: list[SearchHit], search_id: int, page: int, has_more: bool, query: str = ""
) -> InlineKeyboardMarkup | None:
    """Return a button per result (its number), Previous/Next, Alert me and Share (inline),
    or None without results."""
    if not hits:
        return None
    first = (page - 1) * PER_PAGE + 1
    numbers = [
        InlineKeyboardButton(str(first + i), callback_data=f"a:{hit.article.id}")
        for i, hit in enumerate(hits)
    ]
    nav = []
    if page > 1:
        nav.append(
            InlineKeyboardButton(words.BUTTON_PREVIOUS, callback_data=f"s:{search_id}:{page - 1}")
        )
    if has_more:
        nav.append(
            InlineKeyboardButton(words.BUTTON_NEXT, callback_data=f"s:{search_id}:{page + 1}")
        )
    alert = [
        InlineKeyboardButton(words.BUTTON_ALERT_ME, callback_data=f"al:s:{search_id}"),
        InlineKeyboardButton(words.BUTTON_SHARE, switch_inline_query=query),
    ]
    return InlineKeyboardMarkup([numbers, nav, alert] if nav else [numbers, alert])


async def results_page(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, query: str, search_id: int, page: int
) -> tuple[str, InlineKeyboardMarkup | None, int]:
    """Return one page of results as text and keyboard, and how many results it holds."""
    store, at = get_store(context), now(context)
    found = await search_page(store, query, page=page, per_page=PER_PAGE, now=at)
    hits, has_more = found.hits, found.has_more
    sub = await get_subscription(store, chat_id)
    tz = sub.timezone if sub else get_settings(context).timezone
    text = render_search_results(
        hits, query=query, page=page, per_page=PER_PAGE, has_more=has_more, tz=tz
    )
    return text, results_keyboard(hits, search_id, page, has_more, query), len(hits)


async def search_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/search WORDS: the first page of matches; /search alone explains itself."""
    chat, message = chat_and_message(update)
    query = query_of(message.text or "")
    if not query:
        await message.reply_text(words.SEARCH_USAGE)
        return
    store, settings, at = get_store(context), get_settings(context), now(context)
    per_minute = settings.search_per_minute
    if not await search_allowed(store, chat.id, now=at, per_minute=per_minute):
        log.info("search refused: too many chat_id=%s", chat.id)
        await message.reply_text(words.SLOW_DOWN.format(n=per_minute))
        return
    search_id = await save_search(store, chat.id, query, now=at)
    try:
        text, keyboard, _count = await results_page(context, chat.id, query, search_id, 1)
    except QueryError as exc:
        await message.reply_text(words.bad_query(words.reason(exc)))
        return
    await message.reply_text(text, reply_markup=keyboard)


async def page_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Previous/Next: show another page of a saved search in the same message."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    match = PAGE_DATA.fullmatch(query.data or "")
    page = int(match[2]) if match else 0
    saved = await get_search(get_store(context), int(match[1]), chat.id) if match else None
    if match is None or saved is None or not 1 <= page <= MAX_PAGE:
        await query.answer(words.SEARCH_EXPIRED)
        return
    try:
        text, keyboard, count = await results_page(context, chat.id, saved, int(match[1]), page)
    except QueryError:
        await query.answer(words.SEARCH_EXPIRED)
        return
    if count == 0 and page > 1:
        await query.answer(words.NO_MORE_RESULTS)
        return
    try:
        await query.edit_message_text(text, reply_markup=keyboard)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise
    await query.answer()


async def article_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A result's number: send that article's summary and link."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    match = ARTICLE_DATA.fullmatch(query.data or "")
    article = await get_article(get_store(context), int(match[1])) if match else None
    if article is None:
        await query.answer(words.ARTICLE_GONE)
        return
    sub = await get_subscription(get_store(context), chat.id)
    tz = sub.timezone if sub else get_settings(context).timezone
    previews = LinkPreviewOptions(is_disabled=not (sub is not None and sub.link_previews))
    await context.bot.send_message(
        chat.id, render_article(article, tz=tz), link_preview_options=previews
    )
    await query.answer()


def handlers() -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
    """Return /search and its buttons."""
    return [
        CommandHandler("search", search_command),
        CallbackQueryHandler(page_button, pattern=r"^s:"),
        CallbackQueryHandler(article_button, pattern=r"^a:"),
    ]

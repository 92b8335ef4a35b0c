"""Inline mode: `@bot words` lists matching articles; the chosen one is sent as a short card.

Telegram sends a query for every pause in typing, so each user gets at most PER_MINUTE answers
with results a minute (counted in this process); the rest are answered with none. Answers are
cached by Telegram for CACHE_SECONDS (per user for the empty query, which depends on the
user's digest) and here, per query text, for as long.
"""

from __future__ import annotations

import logging
import time
from collections import deque

from telegram import InlineQueryResultArticle, InputTextMessageContent, Update
from telegram.ext import BaseHandler, ChosenInlineResultHandler, ContextTypes, InlineQueryHandler

from bot.telegram.services import get_settings, get_store, now
from news.errors import QueryError
from news.inline import inline_articles
from news.render import render_article
from news.text import first_words

log = logging.getLogger(__name__)

PER_MINUTE = 60
CACHE_SECONDS = 30
MAX_CACHED = 256
_CACHE_KEY = "newsbot.inline_cache"
_RATE_KEY = "newsbot.inline_rate"


def _allowed(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> bool:
    """Return whether the user may get another answer with results this minute."""
    rates: dict[int, deque[float]] = context.bot_data.setdefault(_RATE_KEY, {})
    seen = rates.setdefault(user_id, deque())
    moment = time.monotonic()
    while seen and seen[0] < moment - 60:
        seen.popleft()
    if len(seen) >= PER_MINUTE:
        return False
    seen.append(moment)
    return True


async def _results(
    context: ContextTypes.DEFAULT_TYPE, user_id: int, query: str
) -> list[InlineQueryResultArticle]:
    """Return the results for `query`, from the cache when the same text was asked lately."""
    cache: dict[str, tuple[float, list[InlineQueryResultArticle]]]
    cache = context.bot_data.setdefault(_CACHE_KEY, {})
    key = query.strip() or f"\x00{user_id}"  # the empty query is the user's own digest
    cached = cache.get(key)
    if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    tz = get_settings(context).timezone
    try:
        found = await inline_articles(get_store(context), user_id, query, now=now(context))
    except QueryError:
        found = []
    results = [
        InlineQueryResultArticle(
            id=str(article.id),
            title=first_words(article.title, words=20, max_chars=200),
            description=description[:200],
            url=article.url,
            input_message_content=InputTextMessageContent(render_article(article, tz=tz)),
        )
        for article, description in found
    ]
    if len(cache) >= MAX_CACHED:
        cache.clear()
    cache[key] = (time.monotonic(), results)
    return results


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer `@bot words` with the matching articles."""
    inline = update.inline_query
    if inline is None:
        return
    user_id, query = inline.from_user.id, inline.query[:500]
    if not _allowed(context, user_id):
        log.info("inline query refused: too many user_id=%s", user_id)
        await inline.answer([], cache_time=5, is_personal=True)
        return
    results = await _results(context, user_id, query)
    await inline.answer(results, cache_time=CACHE_SECONDS, is_personal=not query.strip())


async def chosen_result(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log which result was shared (Telegram itself sends the card)."""
    chosen = update.chosen_inline_result
    if chosen is not None:
        log.info("inline result chosen article_id=%s", chosen.result_id)


def handlers() -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
    """Return the inline query handlers."""
    return [InlineQueryHandler(inline_query), ChosenInlineResultHandler(chosen_result)]

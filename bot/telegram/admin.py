"""Commands for the operator's admins (NEWSBOT_ADMIN_IDS): /addfeed /removefeed /stats."""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import Message, Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot.telegram.services import (
    chat_and_message,
    get_fetcher,
    get_settings,
    get_store,
    is_bot_admin,
    now,
)
from news import words
from news.errors import BlockedURLError, FetchError, ParseError
from news.render import format_when
from news.sources import add_feed
from news.storage.articles import article_counts
from news.storage.feeds import feed_counts, get_feed, remove_feed
from news.storage.outbox import outbox_stats
from news.storage.sources import failing_feeds
from news.storage.subscriptions import subscription_counts

log = logging.getLogger(__name__)

STATS_WINDOW = timedelta(hours=24)
FAILING_SHOWN = 20  # failing feeds /stats lists, longest failing first


async def _refused(update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message) -> bool:
    """Return True after politely refusing someone who is not a bot admin."""
    if is_bot_admin(context, update.effective_user):
        return False
    user = update.effective_user
    log.info("admin command refused user_id=%s", user.id if user else None)
    await message.reply_text(words.NOT_ALLOWED)
    return True


def web_url(text: str) -> str:
    """Return `text` as an http(s) URL: "example.com/feed" means https://example.com/feed."""
    text = text.strip()
    if "://" not in text and not text.lower().startswith("file:"):
        return "https://" + text
    return text


async def add_feed_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/addfeed URL: fetch it, check it is a feed, then store it (bot admins only)."""
    _chat, message = chat_and_message(update)
    if await _refused(update, context, message):
        return
    if len(context.args or []) != 1:
        await message.reply_text(words.ADDFEED_USAGE)
        return
    given = web_url((context.args or [""])[0])
    try:
        added = await add_feed(
            get_store(context),
            get_fetcher(context),
            given,
            get_settings(context),
            now=now(context),
        )
    except BlockedURLError as exc:
        await message.reply_text(words.feed_refused(words.reason(exc)))
        return
    except FetchError as exc:
        await message.reply_text(words.feed_unreachable(words.reason(exc)))
        return
    except ParseError as exc:
        await message.reply_text(words.not_a_feed(words.reason(exc)))
        return
    feed = added.feed
    log.info("feed added from chat feed_id=%s created=%s", feed.id, added.created)
    title = feed.title or feed.url
    text = words.feed_added(feed.id, title, added.entries) if added.created else None
    await message.reply_text(text or words.feed_exists(feed.id, title))


async def remove_feed_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/removefeed ID: remove a feed and its articles (bot admins only)."""
    _chat, message = chat_and_message(update)
    if await _refused(update, context, message):
        return
    args = context.args or []
    if len(args) != 1 or not (args[0].isascii() and args[0].isdigit()):
        await message.reply_text(words.REMOVEFEED_USAGE)
        return
    store = get_store(context)
    feed = await get_feed(store, int(args[0]))
    if feed is None or not await remove_feed(store, feed.id):
        await message.reply_text(words.no_such_feed(args[0]))
        return
    log.info("feed removed from chat feed_id=%s", feed.id)
    await message.reply_text(words.feed_removed(feed.id, feed.title or feed.url))


async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats: subscribers, feeds, articles, failing feeds, deliveries of the last 24 h."""
    _chat, message = chat_and_message(update)
    if await _refused(update, context, message):
        return
    store, at = get_store(context), now(context)
    text = words.stats(
        subscriptions=await subscription_counts(store),
        feeds=await feed_counts(store, now=at),
        articles=await article_counts(store),
        outbox=await outbox_stats(store, now=at, since=at - STATS_WINDOW),
    )
    failing = await failing_feeds(store)
    if failing:
        lines = [
            (
                f.id,
                f.title or f.url,
                words.reason(Exception(f.last_error or "")),
                format_when(f.last_success_at or f.created_at or at, tz="UTC", now=at),
            )
            for f in failing[:FAILING_SHOWN]
        ]
        text += "\n" + words.failing_feeds(lines)
    await message.reply_text(text)


def handlers() -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
    """Return the admin commands."""
    return [
        # Checking a feed can take the fetch timeouts; other updates must not wait behind it.
        CommandHandler("addfeed", add_feed_command, block=False),
        CommandHandler("removefeed", remove_feed_command),
        CommandHandler("stats", stats_command),
    ]

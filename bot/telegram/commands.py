"""/start /help /subscribe /unsubscribe /stop /digest and the fallbacks (/feeds: bot/sources)."""

from __future__ import annotations

import logging
from datetime import datetime

from telegram import (
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Update,
)
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.telegram.chats import chat_title, refuse_non_manager
from bot.telegram.help import ADMIN_COMMANDS, COMMANDS
from bot.telegram.services import chat_and_message, get_settings, get_store, is_bot_admin, now
from news import words
from news.digests import latest_digest
from news.models import Subscription
from news.render import digest_buttons, format_when, render_html
from news.sources import troubled_feeds, with_trouble
from news.storage.articles import newest_article_at
from news.storage.subscriptions import get_subscription
from news.subscriptions import subscribe, unsubscribe

log = logging.getLogger(__name__)

START_SUBSCRIBE = "go:sub"
START_DIGEST = "go:digest"


def start_keyboard() -> InlineKeyboardMarkup:
    """Return the /start buttons: subscribe, latest digest."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(words.BUTTON_SUBSCRIBE, callback_data=START_SUBSCRIBE),
                InlineKeyboardButton(words.BUTTON_LATEST, callback_data=START_DIGEST),
            ]
        ]
    )


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start [subscribe]: the welcome with its buttons, or subscribe straight from a deep link."""
    chat, message = chat_and_message(update)
    if context.args and context.args[0].lower() == "subscribe":
        await subscribe_command(update, context)
        return
    text = words.WELCOME if chat.type == Chat.PRIVATE else words.WELCOME_GROUP
    await message.reply_text(text, reply_markup=start_keyboard())


def help_text(*, admin: bool, bot_username: str) -> str:
    """Return the /help screen; admins also see their commands."""
    lines = [words.HELP_TITLE]
    lines += [words.help_line(n, d) for n, d in COMMANDS.items() if n not in ADMIN_COMMANDS]
    if admin:
        lines += ["", words.HELP_ADMIN_TITLE]
        lines += [words.help_line(n, d) for n, d in COMMANDS.items() if n in ADMIN_COMMANDS]
    lines += ["", words.HELP_FOOTER.format(bot=words.esc(bot_username))]
    return "\n".join(lines)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: every command on one screen."""
    _chat, message = chat_and_message(update)
    admin = is_bot_admin(context, update.effective_user)
    await message.reply_text(help_text(admin=admin, bot_username=context.bot.username))


def next_digest_text(sub: Subscription, at: datetime) -> str:
    """Return when the subscription's next digest comes, in the chat's time zone."""
    if sub.next_digest_at is None:
        return words.PAUSED
    return format_when(sub.next_digest_at, tz=sub.timezone, now=at)


async def subscribe_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """Subscribe the update's chat with the default settings; return the confirmation."""
    chat = update.effective_chat
    if chat is None:
        raise LookupError("update has no chat")
    settings, at = get_settings(context), now(context)
    message = update.effective_message
    # In a forum supergroup the digests go to the topic /subscribe was sent in.
    topic = message.message_thread_id if message and message.is_topic_message else None
    sub, changed = await subscribe(
        get_store(context),
        chat.id,
        chat_type=chat.type,
        title=chat_title(chat),
        digest_times=settings.digest_times,
        timezone=settings.timezone,
        max_articles=settings.digest_articles,
        now=at,
        thread_id=topic,
    )
    log.info("subscribe chat_id=%s new=%s topic=%s", chat.id, changed, topic)
    when = next_digest_text(sub, at)
    return words.subscribed(when) if changed else words.already_subscribed(when)


async def subscribe_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/subscribe: start the digests (a group's admins only)."""
    _chat, message = chat_and_message(update)
    if await refuse_non_manager(update, context):
        return
    await message.reply_text(await subscribe_text(update, context))


async def unsubscribe_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/unsubscribe and /stop: stop the digests; saying it twice is harmless."""
    chat, message = chat_and_message(update)
    if await refuse_non_manager(update, context):
        return
    stopped = await unsubscribe(get_store(context), chat.id, now=now(context))
    log.info("unsubscribe chat_id=%s was_active=%s", chat.id, stopped)
    await message.reply_text(words.UNSUBSCRIBED if stopped else words.NOT_SUBSCRIBED)


async def digest_messages(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int
) -> tuple[list[str], InlineKeyboardMarkup | None]:
    """Return the chat's latest digest as messages, or one "nothing new" message, and the
    buttons under the last one (Mute a source, Filter…)."""
    store, settings, at = get_store(context), get_settings(context), now(context)
    sub = await get_subscription(store, chat_id)
    tz = sub.timezone if sub else settings.timezone
    limit = sub.max_articles if sub else settings.digest_articles
    digest = await latest_digest(store, sub, now=at, limit=limit, chat_id=chat_id)
    if digest.empty:
        newest = await newest_article_at(store, feed_ids=sub.feed_ids if sub else None)
        if newest is None:
            return [words.NO_ARTICLES_YET], None
        return [words.nothing_new(format_when(newest, tz=tz, now=at))], None
    header = words.digest_header(format_when(digest.since, tz=tz, now=at))
    # Its sources failing for a day, or gone: a line each, with Remove (news.sources).
    feed_ids = sub.feeds_at(at) if sub else None
    parts, rows = with_trouble(
        render_html(digest, tz=tz, header=header),
        digest_buttons(digest),
        await troubled_feeds(store, at),
        feed_ids,
    )
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )
    return parts, keyboard


async def send_digest(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, thread_id: int | None = None
) -> None:
    """Send the latest digest to the chat (in forum topic `thread_id`), with its previews."""
    sub = await get_subscription(get_store(context), chat_id)
    previews = LinkPreviewOptions(is_disabled=not (sub is not None and sub.link_previews))
    parts, keyboard = await digest_messages(context, chat_id)
    for number, part in enumerate(parts, 1):
        markup = keyboard if number == len(parts) else None
        await context.bot.send_message(
            chat_id,
            part,
            link_preview_options=previews,
            reply_markup=markup,
            message_thread_id=thread_id,
        )


async def digest_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/digest: the latest digest right now (in the topic it was asked in)."""
    chat, message = chat_and_message(update)
    await send_digest(
        context, chat.id, message.message_thread_id if message.is_topic_message else None
    )


async def start_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The /start buttons: Subscribe, Latest digest."""
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None:
        return
    if query.data == START_SUBSCRIBE:
        if await refuse_non_manager(update, context):
            return
        await context.bot.send_message(chat.id, await subscribe_text(update, context))
    else:
        await send_digest(context, chat.id)
    await query.answer()


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command we don't know: a one-line hint, unless it was meant for another bot."""
    chat, message = chat_and_message(update)
    if chat.type != Chat.PRIVATE and not _addressed_to_me(message.text or "", context):
        return
    await message.reply_text(words.UNKNOWN_COMMAND)


def _addressed_to_me(text: str, context: ContextTypes.DEFAULT_TYPE) -> bool:
    command = text.split(maxsplit=1)[0] if text.strip() else ""
    _name, _, target = command.partition("@")
    return target.lower() == (context.bot.username or "").lower()


async def plain_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Anything else in a private chat: a one-line hint towards /help."""
    _chat, message = chat_and_message(update)
    await message.reply_text(words.PLAIN_TEXT)


async def stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button we no longer know (old, forged or malformed data): a short notice."""
    if update.callback_query is not None:
        await update.callback_query.answer(words.STALE_BUTTON)


def handlers() -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
    """Return the subscriber commands and the /start buttons."""
    return [
        CommandHandler("start", start),
        CommandHandler("help", help_command),
        CommandHandler("subscribe", subscribe_command),
        CommandHandler(["unsubscribe", "stop"], unsubscribe_command),
        CommandHandler("digest", digest_command),
        CallbackQueryHandler(start_button, pattern=f"^({START_SUBSCRIBE}|{START_DIGEST})$"),
    ]


def fallback_handlers() -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
    """Return the last resorts: unknown commands and anything else said in private."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & ~filters.StatusUpdate.ALL
    return [
        MessageHandler(filters.COMMAND & filters.UpdateType.MESSAGE, unknown_command),
        MessageHandler(private, plain_text),
        CallbackQueryHandler(stale_button),
    ]

"""Groups and channels: who may manage a chat, the bot joining or leaving, migration, channels.

Channels (a documented two-step flow, because channel posts cannot carry our commands):
1. a channel admin adds the bot to the channel as an administrator allowed to post;
2. one of the operator's admins (NEWSBOT_ADMIN_IDS) sends `/linkchannel @name` (or the numeric
   id) to the bot in a private chat. The bot checks that it really is an admin there and
   subscribes the channel with the default settings. `/unlinkchannel` undoes it, and removing
   the bot from the channel stops the digests too.
"""

from __future__ import annotations

import logging

from telegram import Chat, ChatMember, ChatMemberAdministrator, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    BaseHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.telegram.services import chat_and_message, get_settings, get_store, is_bot_admin, now
from news import words
from news.chats import deactivate_chat, move_chat
from news.subscriptions import subscribe, unsubscribe

log = logging.getLogger(__name__)

GROUP_TYPES = (Chat.GROUP, Chat.SUPERGROUP)
GONE = (ChatMember.LEFT, ChatMember.BANNED)
MANAGERS = (ChatMember.OWNER, ChatMember.ADMINISTRATOR)


async def may_manage(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Return whether the sender may change this chat's subscription (a group's admins only)."""
    chat = update.effective_chat
    if chat is None or chat.type == Chat.CHANNEL:
        return False
    if chat.type == Chat.PRIVATE:
        return True
    message = update.message
    # An anonymous group admin writes as the group itself.
    if message is not None and message.sender_chat is not None:
        return message.sender_chat.id == chat.id
    user = update.effective_user
    if user is None:
        return False
    member = await context.bot.get_chat_member(chat.id, user.id)
    return member.status in MANAGERS


async def refuse_non_manager(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Return True after telling a group member who is not an admin that they can't do this."""
    if await may_manage(update, context):
        return False
    if update.callback_query is not None:
        await update.callback_query.answer(words.GROUP_ADMINS_ONLY, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(words.GROUP_ADMINS_ONLY)
    return True


def chat_title(chat: Chat) -> str | None:
    """Return what we store as a chat's title: a group's or channel's title, never a user name."""
    return None if chat.type == Chat.PRIVATE else chat.title


async def my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Follow the bot being added, promoted, removed or blocked."""
    change = update.my_chat_member
    if change is None:
        return
    chat, old, new = change.chat, change.old_chat_member.status, change.new_chat_member.status
    log.info("bot membership chat_id=%s type=%s old=%s new=%s", chat.id, chat.type, old, new)
    if new in GONE:
        if (await deactivate_chat(get_store(context), chat.id, now=now(context))).was_active:
            log.info("subscription stopped: bot removed or blocked chat_id=%s", chat.id)
        return
    if chat.type in GROUP_TYPES and old in GONE:
        await context.bot.send_message(chat.id, words.WELCOME_GROUP)
    elif (
        chat.type == Chat.CHANNEL
        and new == ChatMember.ADMINISTRATOR
        and is_bot_admin(context, change.from_user)
    ):
        await _tell(context, change.from_user.id, words.channel_ready(chat.title, chat.id))


async def _tell(context: ContextTypes.DEFAULT_TYPE, user_id: int, text: str) -> None:
    try:
        await context.bot.send_message(user_id, text)
    except (BadRequest, Forbidden) as exc:
        # The admin never opened a private chat with the bot; /linkchannel still works.
        log.info("could not tell admin user_id=%s error=%s", user_id, exc)


async def migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Move the subscription of a group that became a supergroup to its new chat id."""
    chat, message = chat_and_message(update)
    if message.migrate_to_chat_id is not None:
        old, new = chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id is not None:
        old, new = message.migrate_from_chat_id, chat.id
    else:
        return
    await follow_migration(context, old, new)


async def follow_migration(context: ContextTypes.DEFAULT_TYPE, old: int, new: int) -> None:
    """Move everything of chat `old` (subscription, messages, searches) to `new` (repeatable)."""
    move = await move_chat(get_store(context), old, new, now=now(context))
    log.info(
        "chat migrated old_chat_id=%s new_chat_id=%s subscription=%s messages=%s searches=%s",
        old,
        new,
        move.subscription,
        move.messages,
        move.searches,
    )


def _channel_ref(arg: str) -> str | int:
    arg = arg.strip()
    if arg.lstrip("-").isascii() and arg.lstrip("-").isdigit():
        return int(arg)
    return arg if arg.startswith("@") else "@" + arg


async def link_channel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/linkchannel @name: subscribe a channel where the bot is an admin (bot admins only)."""
    _chat, message = chat_and_message(update)
    if not is_bot_admin(context, update.effective_user):
        await message.reply_text(words.NOT_ALLOWED)
        return
    if len(context.args or []) != 1:
        await message.reply_text(words.LINK_USAGE)
        return
    ref = _channel_ref((context.args or [""])[0])
    try:
        channel = await context.bot.get_chat(ref)
        if channel.type != Chat.CHANNEL:
            await message.reply_text(words.not_a_channel(str(ref)))
            return
        member = await context.bot.get_chat_member(channel.id, context.bot.id)
    except (BadRequest, Forbidden) as exc:
        log.info("channel lookup failed ref=%s error=%s", ref, exc)
        await message.reply_text(words.channel_unknown(str(ref)))
        return
    if not (isinstance(member, ChatMemberAdministrator) and member.can_post_messages):
        await message.reply_text(words.bot_not_channel_admin(channel.title or str(ref)))
        return
    settings = get_settings(context)
    _sub, changed = await subscribe(
        get_store(context),
        channel.id,
        chat_type=Chat.CHANNEL,
        title=channel.title,
        digest_times=settings.digest_times,
        timezone=settings.timezone,
        max_articles=settings.digest_articles,
        now=now(context),
    )
    log.info("channel linked chat_id=%s new=%s", channel.id, changed)
    await message.reply_text(words.channel_linked(channel.title or str(ref), changed))


async def unlink_channel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/unlinkchannel @name|ID: stop a channel's digests (bot admins only)."""
    _chat, message = chat_and_message(update)
    if not is_bot_admin(context, update.effective_user):
        await message.reply_text(words.NOT_ALLOWED)
        return
    if len(context.args or []) != 1:
        await message.reply_text(words.UNLINK_USAGE)
        return
    ref = _channel_ref((context.args or [""])[0])
    if isinstance(ref, str):
        try:
            ref = (await context.bot.get_chat(ref)).id
        except (BadRequest, Forbidden):
            await message.reply_text(words.channel_unknown(str(ref)))
            return
    stopped = await unsubscribe(get_store(context), ref, now=now(context))
    await message.reply_text(words.channel_unlinked(stopped))


def handlers() -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
    """Return the handlers for updates about chats themselves (membership, migration)."""
    return [
        ChatMemberHandler(my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER),
        MessageHandler(filters.StatusUpdate.MIGRATE, migrated),
    ]


def command_handlers() -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
    """Return the channel commands for bot admins."""
    return [
        CommandHandler("linkchannel", link_channel),
        CommandHandler("unlinkchannel", unlink_channel),
    ]

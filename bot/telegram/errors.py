"""The error handler: the last of the three catch points (see STYLE.md, Errors).

Everything a handler did not expect ends here: it is logged once with its traceback, the user
(when there is one to answer) hears that something went wrong on our side, and the operator's
admins get a short escaped note, split to fit Telegram's 4096 characters. Never message bodies
or the token: the note names the update, chat and user ids and the exception.
"""

from __future__ import annotations

import logging
import time
import traceback
from typing import Final

from telegram import Update
from telegram.error import ChatMigrated, Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.telegram.chats import follow_migration
from bot.telegram.services import get_settings
from news import tghtml, words

log = logging.getLogger(__name__)

NOTES_KEY: Final = "newsbot.error_notes"
# The same failure (e.g. the database down) is reported to the admins at most once a minute.
NOTE_EVERY = 60.0
TRACEBACK_CHARS = 3000


def describe(update: object) -> str:
    """Return the ids of an update, for logs and notes (never its text)."""
    if not isinstance(update, Update):
        return "update=none"
    chat = update.effective_chat
    user = update.effective_user
    return (
        f"update_id={update.update_id} chat_id={chat.id if chat else None} "
        f"user_id={user.id if user else None}"
    )


def admin_note(error: BaseException, where: str) -> list[str]:
    """Return the admins' note about `error` as Telegram HTML messages of at most 4096."""
    # Only the frames and the first line of the message: database errors append the statement's
    # parameters on later lines, and those can hold what users wrote.
    frames = "".join(traceback.format_tb(error.__traceback__))[-TRACEBACK_CHARS:]
    head = (
        f"⚠️ <b>newsbot error</b>: {tghtml.escape(first_line(error))}\n"
        f"<code>{tghtml.escape(where)}</code>"
    )
    return tghtml.split_html([head, f"<pre>Traceback:\n{tghtml.escape(frames)}</pre>"])


def first_line(error: BaseException) -> str:
    """Return "Type: first line of the message", at most 300 characters."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"[:300]


async def error_handler(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Handle an exception no handler caught: follow a migration, or log, tell, report."""
    error = context.error
    if error is None:
        return
    where = describe(update)
    chat = update.effective_chat if isinstance(update, Update) else None
    if isinstance(error, ChatMigrated) and chat is not None:
        await follow_migration(context, chat.id, error.new_chat_id)
        # What the handler meant to say went to the old id; ask in the new chat to repeat it.
        try:
            await context.bot.send_message(error.new_chat_id, words.MIGRATED)
        except TelegramError as exc:
            log.warning("could not write to the migrated chat error=%s", exc)
        return
    if isinstance(error, Forbidden):
        # Blocked or kicked while answering: nobody to tell; my_chat_member stops the digests.
        log.info("cannot answer, bot not allowed %s error=%s", where, error)
        return
    log.error("update failed %s", where, exc_info=error)
    if isinstance(update, Update):
        await _tell_user(update, context)
    if _should_note(context, error):
        await _tell_admins(context, admin_note(error, where))


async def _tell_user(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, chat = update.callback_query, update.effective_chat
    try:
        if query is not None:
            await query.answer(words.SOMETHING_WRONG, show_alert=True)
        elif update.message is not None and chat is not None:
            await context.bot.send_message(chat.id, words.SOMETHING_WRONG)
    except TelegramError as exc:
        log.warning("could not tell the user about an error %s", exc)


def _should_note(context: ContextTypes.DEFAULT_TYPE, error: BaseException) -> bool:
    notes = context.bot_data.setdefault(NOTES_KEY, {})
    key = first_line(error)
    moment = time.monotonic()
    if moment - notes.get(key, -NOTE_EVERY) < NOTE_EVERY:
        return False
    notes[key] = moment
    return True


async def _tell_admins(context: ContextTypes.DEFAULT_TYPE, parts: list[str]) -> None:
    for admin_id in get_settings(context).admin_ids:
        try:
            for part in parts:
                await context.bot.send_message(admin_id, part)
        except TelegramError as exc:
            log.warning("could not send the error note admin_id=%s error=%s", admin_id, exc)

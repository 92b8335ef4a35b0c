"""/web: a button that opens the Mini App, and a signed link to it for any browser.

The link is made for this chat and the user who asked, and expires after
NEWSBOT_WEB_LINK_MINUTES (bot/web/auth.py signs and checks it).
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update, WebAppInfo
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot.telegram.services import chat_and_message, get_settings, now
from bot.web.auth import sign_link
from news import words


def app_url(base_url: str) -> str:
    """Return the address Telegram opens the Mini App at."""
    return f"{base_url}/app/"


async def web_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/web: the app's button (private chats, over HTTPS) and a signed browser link."""
    chat, message = chat_and_message(update)
    settings = get_settings(context)
    base = settings.web_base_url
    if not base or settings.telegram_token is None:
        await message.reply_text(words.WEB_OFF)
        return
    user_id = update.effective_user.id if update.effective_user else chat.id
    expires = int(now(context).timestamp()) + settings.web_link_minutes * 60
    token = sign_link(
        settings.telegram_token.get_secret_value(), chat.id, user_id, expires=expires
    )
    rows = []
    # Telegram takes web_app buttons only in private chats, and only for https addresses.
    if chat.type == "private" and base.startswith("https://"):
        rows.append(
            [InlineKeyboardButton(words.BUTTON_OPEN_APP, web_app=WebAppInfo(app_url(base)))]
        )
    rows.append([InlineKeyboardButton(words.BUTTON_OPEN_BROWSER, url=f"{base}/app/link/{token}")])
    await message.reply_text(
        words.web_link(settings.web_link_minutes, group=chat.type != "private"),
        reply_markup=InlineKeyboardMarkup(rows),
    )


def handlers() -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]]:
    """Return /web."""
    return [CommandHandler("web", web_command)]

"""What handlers need from the outside world, kept in bot_data under one typed key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from telegram import Chat, Message, Update, User
from telegram.ext import ContextTypes

from news.fetch import Fetcher
from news.settings import Settings
from news.storage.db import Store

SERVICES_KEY: Final = "newsbot.services"

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Return the current time, UTC-aware."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Services:
    """The settings, the database, the fetcher for /addfeed, and the clock (tests set it)."""

    settings: Settings
    store: Store
    fetcher: Fetcher
    clock: Clock = utc_now


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """Return the Services that build_application put into bot_data."""
    found = context.bot_data.get(SERVICES_KEY)
    if not isinstance(found, Services):
        raise TypeError("bot_data has no Services; build the app with build_application()")
    return found


def get_settings(context: ContextTypes.DEFAULT_TYPE) -> Settings:
    """Return the Settings."""
    return services(context).settings


def get_store(context: ContextTypes.DEFAULT_TYPE) -> Store:
    """Return the Store."""
    return services(context).store


def get_fetcher(context: ContextTypes.DEFAULT_TYPE) -> Fetcher:
    """Return the Fetcher used to check feeds added from chat."""
    return services(context).fetcher


def now(context: ContextTypes.DEFAULT_TYPE) -> datetime:
    """Return the current time as the services' clock sees it."""
    return services(context).clock()


def is_bot_admin(context: ContextTypes.DEFAULT_TYPE, user: User | None) -> bool:
    """Return whether `user` is one of the operator's admins (NEWSBOT_ADMIN_IDS)."""
    return user is not None and user.id in get_settings(context).admin_ids


def chat_and_message(update: Update) -> tuple[Chat, Message]:
    """Return the update's chat and message; raise LookupError when it has none."""
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        raise LookupError("update has no chat or message")
    return chat, message

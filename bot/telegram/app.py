"""build_application(): the python-telegram-bot Application with every handler of newsbot.

The Application owns the bot's services (settings, store, fetcher) in bot_data; post_init
(startup) registers the command menus and post_shutdown (shutdown) closes the fetcher it made.
run_polling/run_webhook call both; code that drives the Application by hand (`async with app:`)
calls startup() and shutdown() itself. Poll or hook with allowed_updates=ALLOWED_UPDATES.
It does not schedule jobs: the composition root does.
No conversation state is kept in process memory, so several bot replicas (webhook mode
behind a proxy) can share the work: buttons carry ids that are looked up in the database, and
a reply to the time zone question is known by the question it answers. What a process does
keep is its own: the rate limiter's counters and PTB's queue of updates not yet handled.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, TypedDict

from telegram import (
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    LinkPreviewOptions,
    MenuButtonWebApp,
    Update,
    WebAppInfo,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ContextTypes,
    Defaults,
    ExtBot,
    JobQueue,
)
from telegram.request import BaseRequest

from bot.telegram import (
    admin,
    alerts,
    chats,
    commands,
    errors,
    filters,
    help,
    inline,
    search,
    settings_menu,
    sources,
    web,
)
from bot.telegram.services import SERVICES_KEY, Clock, Services, utc_now
from news import words
from news.fetch import Fetcher
from news.settings import Settings
from news.storage.db import Store

log = logging.getLogger(__name__)

# On 429 the rate limiter waits retry_after and tries again, this many times.
MAX_RETRIES = 3
# Updates the bot asks for; my_chat_member is how it learns it was added, promoted or blocked.
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
    Update.INLINE_QUERY,
    Update.CHOSEN_INLINE_RESULT,
]

# Handler groups: PTB runs at most one handler per group for each update, groups in order.
CHAT_GROUP = 0  # updates about the chat itself: the bot added/removed, group -> supergroup
USER_GROUP = 1  # what people say and press: commands, buttons, replies, then the fallbacks

# The Application that ApplicationBuilder().build() makes: PTB's own default types.
NewsApp = Application[
    ExtBot[int],  # int: the rate limiter's per-call argument type
    ContextTypes.DEFAULT_TYPE,
    dict[Any, Any],
    dict[Any, Any],
    dict[Any, Any],
    JobQueue[ContextTypes.DEFAULT_TYPE],
]
OWNS_FETCHER_KEY = "newsbot.owns_fetcher"


def file_base_url(base_url: str) -> str:
    """Return the file download base for a Bot API base URL (".../bot" -> ".../file/bot")."""
    root = base_url.removesuffix("/").removesuffix("/bot")
    return f"{root}/file/bot"


def build_application(
    settings: Settings,
    store: Store,
    *,
    fetcher: Fetcher | None = None,
    clock: Clock = utc_now,
    polling_request: BaseRequest | None = None,
) -> NewsApp:
    """Return the Application with services in bot_data and every handler registered.

    Without a fetcher one is made here and closed in post_shutdown (or shutdown()).
    `polling_request` replaces the HTTP request getUpdates goes through.
    """
    if settings.telegram_token is None:
        raise ValueError("NEWSBOT_TELEGRAM_TOKEN is not set")
    owned = fetcher is None
    builder = ApplicationBuilder()
    if polling_request is not None:
        builder = builder.get_updates_request(polling_request)
    application = (
        builder.token(settings.telegram_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        .base_file_url(file_base_url(settings.telegram_base_url))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .rate_limiter(AIORateLimiter(max_retries=MAX_RETRIES))
        .post_init(startup)
        .post_shutdown(shutdown)
        .build()
    )
    application.bot_data[SERVICES_KEY] = Services(
        settings=settings, store=store, fetcher=fetcher or Fetcher(settings), clock=clock
    )
    application.bot_data[OWNS_FETCHER_KEY] = owned
    add_handlers(application)
    return application


def add_handlers(application: NewsApp) -> None:
    """Register every handler in its group; the order inside a group is the order of checks."""
    application.add_handlers(chats.handlers(), group=CHAT_GROUP)
    application.add_handlers(
        [
            *sources.handlers(),  # first: /feeds is /sources now
            *commands.handlers(),
            *settings_menu.handlers(),
            *search.handlers(),
            *filters.handlers(),
            *alerts.handlers(),
            *inline.handlers(),
            *admin.handlers(),
            *web.handlers(),
            *chats.command_handlers(),
            *sources.link_handlers(),
            # Last: unknown commands, other text in private chats, buttons nobody knows.
            *commands.fallback_handlers(),
        ],
        group=USER_GROUP,
    )
    application.add_error_handler(errors.error_handler)


async def startup(application: NewsApp) -> None:
    """Register the command menus (private chats, groups, each bot admin); never fails start."""
    bot = application.bot
    services: Services = application.bot_data[SERVICES_KEY]
    menus = [
        (help.public_commands(), BotCommandScopeAllPrivateChats()),
        (list(help.GROUP_COMMANDS), BotCommandScopeAllGroupChats()),
    ]
    menus += [(list(help.COMMANDS), BotCommandScopeChat(i)) for i in services.settings.admin_ids]
    for names, scope in menus:
        try:
            await bot.set_my_commands(help.bot_commands(names), scope=scope)
        except TelegramError as exc:
            # An admin who never opened a chat with the bot has no chat to scope a menu to.
            log.warning("set_my_commands failed scope=%s error=%s", scope.type, exc)
    await _menu_button(application, services.settings)
    log.info("bot ready username=%s", bot.username)


async def _menu_button(application: NewsApp, settings: Settings) -> None:
    """Point the chat menu button at the Mini App, when it is served over HTTPS."""
    base = settings.web_base_url
    if not base or not base.startswith("https://"):
        return
    button = MenuButtonWebApp(words.MENU_APP, WebAppInfo(web.app_url(base)))
    try:
        await application.bot.set_chat_menu_button(menu_button=button)
    except TelegramError as exc:
        log.warning("set_chat_menu_button failed error=%s", exc)


async def shutdown(application: NewsApp) -> None:
    """Close what build_application opened (the fetcher it made itself)."""
    if application.bot_data.pop(OWNS_FETCHER_KEY, False):
        services: Services = application.bot_data[SERVICES_KEY]
        await services.fetcher.aclose()


class WebhookOptions(TypedDict):
    """The keyword arguments of Application.run_webhook / Updater.start_webhook."""

    listen: str
    port: int
    url_path: str
    webhook_url: str
    secret_token: str
    allowed_updates: list[str]


def webhook_options(settings: Settings) -> WebhookOptions:
    """Return how to listen for Telegram's webhook calls (NEWSBOT_WEBHOOK_*)."""
    if not settings.webhook_url:
        raise ValueError("NEWSBOT_WEBHOOK_URL is not set")
    url = settings.webhook_url
    path = url.split("://", 1)[-1].partition("/")[2]
    if settings.webhook_secret:
        secret = settings.webhook_secret.get_secret_value()
    else:
        # Without a secret anyone who learns the URL could post updates as any user. Derive one
        # from the token: every replica computes the same, and it reveals nothing of the token.
        token = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
        secret = hashlib.sha256(f"newsbot-webhook:{token}".encode()).hexdigest()
    return WebhookOptions(
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        url_path=path,
        webhook_url=url,
        secret_token=secret,
        allowed_updates=list(ALLOWED_UPDATES),
    )

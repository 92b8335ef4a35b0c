"""The long-running roles: `run` (everything), `bot`, `worker`, `sender` and `web`.

This is the composition root: it builds each service once from Settings and hands it down.
Every role also serves /healthz and /metrics when NEWSBOT_HTTP_PORT is set. `run` serves the
Mini App too (the `web` role) when NEWSBOT_WEB_BASE_URL is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Coroutine
from typing import TYPE_CHECKING

from bot.http_server import serving
from bot.telegram.reach import (
    PollingRequest,
    TokenRefused,
    initialize_when_reachable,
    polling_failed,
)
from jobs.deliver import run_sender, sender_bot
from jobs.leader import run_as_leader
from jobs.worker import Deps, run_worker
from news.fetch import Fetcher
from news.observe import Readiness
from news.settings import Settings
from news.storage.db import Store

if TYPE_CHECKING:
    from telegram.ext import Updater

    from bot.telegram.app import NewsApp

log = logging.getLogger(__name__)

EVERYTHING = ("bot", "worker", "sender")
SETUP_HINT = (
    "NEWSBOT_TELEGRAM_TOKEN is not set: create a bot with @BotFather in Telegram and put its "
    "token in the environment or in .env"
)


def sender_lock_name(settings: Settings) -> str:
    """Return the sender's lock name: one sender per bot (the token's public bot id part)."""
    token = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
    return "sender:" + token.split(":", 1)[0]


@contextlib.asynccontextmanager
async def observability(
    store: Store, settings: Settings, role: str, readiness: Readiness
) -> AsyncIterator[None]:
    """Serve /healthz and /metrics for the duration, when a port is configured."""
    if not settings.http_port:
        yield
        return
    # Every interface: a load balancer or Prometheus probes from outside the container.
    host = "0.0.0.0"  # noqa: S104
    async with serving(store, role=role, host=host, port=settings.http_port, readiness=readiness):
        yield


async def sender_role(
    store: Store, settings: Settings, stop: asyncio.Event, readiness: Readiness
) -> None:
    """Drain the outbox while holding the sender lock (a standby otherwise)."""
    bot = sender_bot(settings)
    try:
        if not await initialize_when_reachable(
            bot.initialize, "sender", bot.token, readiness, stop
        ):
            return

        async def work(inner: asyncio.Event) -> None:
            await run_sender(store, bot, settings, stop=inner)

        await run_as_leader(store, sender_lock_name(settings), work, stop)
    finally:
        await bot.shutdown()


async def web_role(store: Store, settings: Settings, stop: asyncio.Event) -> None:
    """Serve the Mini App on NEWSBOT_WEB_LISTEN:NEWSBOT_WEB_PORT until stopped."""
    from bot.web.server import serving_web

    async with serving_web(store, settings):
        await stop.wait()


def with_web(roles: tuple[str, ...], settings: Settings) -> tuple[str, ...]:
    """Return `roles`, plus the web app when they are everything and the app has an address."""
    if settings.web_base_url and set(EVERYTHING) <= set(roles) and "web" not in roles:
        return (*roles, "web")
    return roles


async def bot_role(
    store: Store, fetcher: Fetcher, settings: Settings, stop: asyncio.Event, readiness: Readiness
) -> None:
    """Answer Telegram updates: long polling, or a webhook when NEWSBOT_WEBHOOK_URL is set."""
    from bot.telegram.app import build_application, shutdown, startup

    application = build_application(
        settings, store, fetcher=fetcher, polling_request=PollingRequest(readiness, "bot")
    )
    token = application.bot.token
    try:
        if not await initialize_when_reachable(
            application.initialize, "bot", token, readiness, stop
        ):
            return
        await startup(application)
        updater = await _start_updater(application, settings)
        await application.start()
        log.info("bot started mode=%s", "webhook" if settings.webhook_url else "polling")
        try:
            await stop.wait()
        finally:
            await updater.stop()
            await application.stop()
            await shutdown(application)
    finally:
        await application.shutdown()
        await application.bot.shutdown()  # when initialize never got through


async def _start_updater(application: NewsApp, settings: Settings) -> Updater:
    """Start polling or the webhook; the Bot API answered, and PTB retries if it drops again."""
    from bot.telegram.app import ALLOWED_UPDATES, webhook_options

    updater = application.updater
    if updater is None:  # pragma: no cover - ApplicationBuilder always makes one
        raise RuntimeError("the application has no updater")
    if settings.webhook_url:
        await updater.start_webhook(**webhook_options(settings))
    else:
        await updater.start_polling(
            allowed_updates=list(ALLOWED_UPDATES),
            bootstrap_retries=-1,
            error_callback=polling_failed(application.bot.token),
        )
    return updater


async def run_roles(
    store: Store, settings: Settings, roles: tuple[str, ...], stop: asyncio.Event | None = None
) -> int:
    """Run `roles` ("bot", "worker", "sender", "web") side by side until cancelled or `stop`
    is set."""
    roles = with_web(roles, settings)
    if settings.telegram_token is None and {"bot", "sender", "web"} & set(roles):
        log.error("cannot start: %s", SETUP_HINT)
        return 2
    stop = stop or asyncio.Event()
    readiness = Readiness({r: "Bot API not reached yet" for r in roles if r in ("bot", "sender")})
    async with (
        Fetcher(settings) as fetcher,
        observability(store, settings, "+".join(roles), readiness),
    ):
        tasks: list[Coroutine[object, object, None]] = []
        if "worker" in roles:
            tasks.append(run_worker(Deps(settings, store, fetcher), stop))
        if "sender" in roles:
            tasks.append(sender_role(store, settings, stop, readiness))
        if "bot" in roles:
            tasks.append(bot_role(store, fetcher, settings, stop, readiness))
        if "web" in roles:
            tasks.append(web_role(store, settings, stop))
        running = [asyncio.create_task(t) for t in tasks]
        try:
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # a role that ended by itself ends the process, loudly
        except TokenRefused as exc:
            # An expected answer, not a bug: one line, no traceback, and a restart won't help.
            log.error("cannot start: %s", exc)  # noqa: TRY400
            return 2
        finally:
            stop.set()
            await asyncio.gather(*running, return_exceptions=True)
    return 0

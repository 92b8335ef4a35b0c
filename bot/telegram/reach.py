"""Waiting out an unreachable Bot API: the network not up yet, a local Bot API server starting.

A role that needs Telegram (bot, sender) first initializes its Bot (getMe), retrying network
errors and 5xx with a capped exponential backoff and one log line per attempt, and says in
its Readiness why it is not ready meanwhile. Only an answer that cannot change ends it: 401 or
404 for the token (TokenRefused). Once running, PTB's Updater retries getUpdates by itself;
polling_failed gives those retries the same one-line log, and PollingRequest (the request
getUpdates goes through) keeps the Readiness current: not ready while the Bot API is lost,
ready again with its next answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from news.observe import Readiness

log = logging.getLogger(__name__)

FIRST_RETRY = 1.0
MAX_RETRY = 60.0


class TokenRefused(Exception):
    """The Bot API refused the token (401 or 404): no retry can change that."""

    def __init__(self) -> None:
        super().__init__(
            "the Bot API refused NEWSBOT_TELEGRAM_TOKEN (401/404): check the token from "
            "@BotFather and NEWSBOT_TELEGRAM_BASE_URL"
        )


def describe(exc: TelegramError, token: str) -> str:
    """Return a one-line reason for a Bot API error, never with the token in it."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text.replace(token, "<token>") if token else text


async def initialize_when_reachable(
    initialize: Callable[[], Awaitable[None]],
    name: str,
    token: str,
    readiness: Readiness,
    stop: asyncio.Event,
) -> bool:
    """Call `initialize` (a Bot's or an Application's) until the Bot API answers.

    Return True then (and mark `name` ready), or False when `stop` was set first. Raise
    TokenRefused when the Bot API refuses the token.
    """
    delay, attempt = FIRST_RETRY, 1
    while True:
        try:
            await initialize()
        except InvalidToken:
            raise TokenRefused from None  # PTB's message carries the token: never shown
        except (NetworkError, RetryAfter) as exc:
            reason = describe(exc, token)
            if isinstance(exc, RetryAfter) and isinstance(exc.retry_after, timedelta):
                delay = max(delay, exc.retry_after.total_seconds())  # PTB_TIMEDELTA is set
            log.warning(
                "bot api unreachable role=%s attempt=%d retry_in=%.0fs error=%s",
                name,
                attempt,
                delay,
                reason,
            )
            readiness.wait(name, f"Bot API unreachable ({reason}), attempt {attempt}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            if stop.is_set():
                return False
            delay, attempt = min(delay * 2, MAX_RETRY), attempt + 1
            continue
        readiness.ready(name)
        if attempt > 1:
            log.info("bot api reachable role=%s attempts=%d", name, attempt)
        return True


def polling_failed(token: str) -> Callable[[TelegramError], None]:
    """Return the Updater's error_callback: one line per failed getUpdates, no traceback."""

    def report(exc: TelegramError) -> None:
        log.warning("getUpdates failed, PTB retries error=%s", describe(exc, token))

    return report


class PollingRequest(HTTPXRequest):
    """getUpdates' HTTP request (PTB's default one) that reports to a Readiness as it goes."""

    def __init__(self, readiness: Readiness, name: str) -> None:
        super().__init__(connection_pool_size=1)  # what PTB builds for getUpdates
        self._readiness = readiness
        self._name = name

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        """Send the request; mark `name` waiting on a network failure or a 5xx, else ready."""
        try:
            code, payload = await super().do_request(*args, **kwargs)
        except NetworkError as exc:
            self._readiness.wait(self._name, f"Bot API unreachable ({type(exc).__name__})")
            raise
        if code >= 500:
            self._readiness.wait(self._name, f"Bot API answers {code}")
        else:
            self._readiness.ready(self._name)
        return code, payload

"""The sender: drains the outbox into Telegram within its limits, and loses nothing.

Pacing. Telegram allows about 30 messages/s per bot (`send_rate`), one message a second to a
chat (`chat_interval`) and 20 a minute to a group or channel (`group_per_minute`). Rows are
claimed in batches and queued per chat; a heap orders the chats by when each may next receive,
and a global pacer spaces all sends. A chat that must wait never holds back the others (no
head-of-line blocking), and a chat gets one message at a time, in row order, so the parts of a
digest arrive in order.

Outcomes. Accepted: the row is marked sent, and only then. 429: everything waits
`retry_after`, then the same row goes again. 403 (blocked, kicked, deactivated): the
subscription is switched off and the chat's pending rows dropped (news.chats.deactivate_chat).
400: the row fails with Telegram's message and the admins get a short alert through the
outbox; never retried, except ChatMigrated, which moves everything of the chat to the
supergroup (news.chats.move_chat, as the bot does) and sends again.
Network errors and 5xx: retried with exponential backoff.

Crashes. Claimed rows carry a lease (their next_attempt_at). A sender that dies leaves them
pending, and they come back when the lease runs out: only a message in flight at the crash can
arrive twice.

Use sender_bot(settings) (a plain Bot with a pool that fits), not an Application's bot with
AIORateLimiter: the sender does its own pacing and must see every RetryAfter.

    pacing.py   Pacer (the global rate), ChatQueues (rows per chat, which chat may go next)
    sender.py   Sender: claim, send, record each outcome
"""

from __future__ import annotations

import asyncio

from telegram import Bot
from telegram.request import HTTPXRequest

from jobs.deliver.sender import ALERT_PREFIX, DeliveryStats, Sender, max_in_flight
from news.settings import Settings
from news.storage.db import Store

__all__ = [
    "ALERT_PREFIX",
    "DeliveryStats",
    "Sender",
    "drain_once",
    "max_in_flight",
    "run_sender",
    "sender_bot",
]


def sender_bot(settings: Settings) -> Bot:
    """Return a Bot for the sender: the settings' token and base URL, a pool that fits.

    httpx checks every pooled connection on each request, so a pool much larger than the
    sends in flight costs CPU for nothing.
    """
    if settings.telegram_token is None:
        raise ValueError("NEWSBOT_TELEGRAM_TOKEN is required to send messages")
    request = HTTPXRequest(connection_pool_size=max_in_flight(settings), pool_timeout=5.0)
    return Bot(
        settings.telegram_token.get_secret_value(),
        base_url=settings.telegram_base_url,
        request=request,
    )


async def drain_once(
    store: Store,
    bot: Bot,
    settings: Settings,
    *,
    max_wait: float = 0.0,
    lease_seconds: int = 60,
    backoff_base: float = 1.0,
) -> DeliveryStats:
    """Send every due outbox row, waiting out retries due within `max_wait` s; return stats."""
    sender = Sender(store, bot, settings, lease_seconds=lease_seconds, backoff_base=backoff_base)
    return await sender.drain(max_wait=max_wait)


async def run_sender(store: Store, bot: Bot, settings: Settings, *, stop: asyncio.Event) -> None:
    """Drain the outbox until `stop` is set (the `newsbot sender` role); bot: initialized."""
    await Sender(store, bot, settings, lease_seconds=settings.outbox_lease_seconds).run(stop)

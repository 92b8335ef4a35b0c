"""The Sender: claims outbox rows, paces them out through one Bot, and records each outcome."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
import warnings
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    WebAppInfo,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from jobs.deliver.pacing import ChatQueue, ChatQueues, Pacer
from news import observe, words
from news.chats import deactivate_chat, move_chat
from news.models import OutboxMessage
from news.settings import Settings
from news.storage import outbox
from news.storage.db import Store

log = logging.getLogger(__name__)

ALERT_PREFIX = "alert:"
STORAGE_ERRORS = (SQLAlchemyError, OSError)


@dataclass(slots=True)
class DeliveryStats:
    """What a sender did: messages sent, retried (429 among them), failed, dropped, migrated."""

    sent: int = 0
    retried: int = 0
    rate_limited: int = 0
    failed: int = 0
    dropped: int = 0
    migrated: int = 0


def max_in_flight(settings: Settings) -> int:
    """Return how many sends may be under way at once: ~0.5 s of latency at full rate."""
    return min(64, max(4, math.ceil(settings.send_rate / 2)))


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _retry_seconds(exc: RetryAfter) -> float:
    # PTB 22 warns on reading retry_after as a number; it may also be a timedelta already.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    return max(seconds, 0.0)


def _chat_gone(message: str) -> bool:
    """Return whether a 400 means the chat no longer exists (handled like a block, not a bug)."""
    text = message.lower()
    return "chat not found" in text or "user is deactivated" in text


class Sender:
    """Drains the outbox with one Bot; see jobs/deliver/__init__.py for the rules."""

    def __init__(
        self,
        store: Store,
        bot: Bot,
        settings: Settings,
        *,
        lease_seconds: int = 60,
        backoff_base: float = 1.0,
        backoff_cap: float = 600.0,
        poll_interval: float = 1.0,
    ) -> None:
        self.store = store
        self.bot = bot
        self.settings = settings
        self.lease_seconds = lease_seconds
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.poll_interval = poll_interval
        self.batch = max(50, math.ceil(settings.send_rate * 5))
        self.max_held = self.batch * 20
        self.max_in_flight = max_in_flight(settings)
        self.stats = DeliveryStats()
        self._pacer = Pacer(settings.send_rate)
        self._queues = ChatQueues(
            chat_interval=settings.chat_interval, group_per_minute=settings.group_per_minute
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self._marks: list[tuple[int, int, asyncio.Future[None]]] = []
        self._marker: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._claim_after = 0.0
        self._pruned_at = 0.0
        self._horizon = math.inf  # drain mode: retries later than this are left to the DB
        self._storage_failed = False

    # -- the loop ----------------------------------------------------------------------

    async def drain(self, *, max_wait: float = 0.0) -> DeliveryStats:
        """Send every due row (and retries due within `max_wait` s); return the stats."""
        self._horizon = time.monotonic() + max_wait
        self.poll_interval = min(self.poll_interval, 0.2)
        await self._loop(stop=None)
        return self.stats

    async def run(self, stop: asyncio.Event) -> None:
        """Send until `stop` is set; storage errors are logged and the loop carries on."""
        waker = asyncio.create_task(self._wake_on(stop))
        try:
            while not stop.is_set():
                try:
                    await self._loop(stop=stop)
                except STORAGE_ERRORS as exc:
                    log.warning("sender storage error=%s; retrying in 5 s", type(exc).__name__)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=5.0)
        finally:
            waker.cancel()
            # Let sends under way complete: cancelling one Telegram may have taken only makes
            # a duplicate likelier. Rows still queued keep their lease and come back.
            if self._tasks:
                await asyncio.wait(self._tasks)

    async def _wake_on(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self._wake.set()

    async def _loop(self, *, stop: asyncio.Event | None) -> None:
        while stop is None or not stop.is_set():
            if self._storage_failed:
                # Telegram took a message the database could not mark: send nothing more until
                # the database answers again, so only the sends already in flight go twice.
                await outbox.next_attempt_at(self.store)
                self._storage_failed = False
            now = time.monotonic()
            await self._maybe_claim(now)
            wait = self._launch_ready(now)
            if wait is None:
                continue
            if not self._tasks and not self._queues.held:
                idle_wait = await self._idle_wait(stop)
                if idle_wait is None:
                    return
                wait = min(wait, idle_wait)
            await self._sleep(wait)

    def _launch_ready(self, now: float) -> float | None:
        """Start the next send if one may start now (return None); else return the wait."""
        chat = self._queues.peek()
        if self._storage_failed:
            return 0.0  # the loop checks the database first
        if chat is None or len(self._tasks) >= self.max_in_flight:
            return self._claim_wait(now)
        start = max(chat.ready_at, self._pacer.ready_at())
        if start > now:
            return min(start - now, self._claim_wait(now))
        row = self._queues.take(chat)
        self._pacer.take(now)
        task = asyncio.create_task(self._deliver(chat, row))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return None

    def _claim_wait(self, now: float) -> float:
        return max(0.0, self._claim_after - now) if self._wants_rows(now) else self.poll_interval

    async def _idle_wait(self, stop: asyncio.Event | None) -> float | None:
        """Nothing held: return how long to sleep, or None when a drain is done."""
        due = await outbox.next_attempt_at(self.store)
        if due is None:
            return None if stop is None else self.poll_interval
        seconds = max(0.0, (due - _utcnow()).total_seconds())
        if stop is None and time.monotonic() + seconds > self._horizon:
            return None
        self._claim_after = min(self._claim_after, time.monotonic() + seconds)
        return min(seconds, self.poll_interval) if stop is not None else seconds

    async def _sleep(self, seconds: float) -> None:
        self._wake.clear()
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        # asyncio.timeout, unlike wait_for, starts no task: this runs once per message.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()

    # -- claiming ----------------------------------------------------------------------

    def _wants_rows(self, now: float) -> bool:
        held = len(self._queues.held)
        if held < self.batch:
            return True
        # Held rows all wait (slow groups, retries): claim more so other chats can go.
        chat = self._queues.peek()
        idle_soon = chat is None or chat.ready_at > now + 0.5
        return idle_soon and held < self.max_held

    async def _maybe_claim(self, now: float) -> None:
        if now - self._pruned_at > 30.0:
            self._pruned_at = now
            self._queues.prune(now)
        if now < self._claim_after or not self._wants_rows(now):
            return
        rows = await outbox.claim_batch(
            self.store, now=_utcnow(), limit=self.batch, lease_seconds=self.lease_seconds
        )
        for row in rows:
            self._queues.add(row)
        full = len(rows) >= self.batch
        self._claim_after = now if full else now + self.poll_interval

    # -- one message -------------------------------------------------------------------

    async def _deliver(self, chat: ChatQueue, row: OutboxMessage) -> None:
        try:
            await self._attempt(chat, row)
        except STORAGE_ERRORS as exc:
            # The row keeps its lease and comes back; at worst it is sent twice.
            log.warning(
                "outbox update failed row=%s chat_id=%s error=%s",
                row.id,
                row.chat_id,
                type(exc).__name__,
            )
            self._storage_failed = True
            self._queues.forget(chat, row)
        finally:
            self._queues.finish(chat, time.monotonic())
            self._wake.set()

    async def _attempt(self, chat: ChatQueue, row: OutboxMessage) -> None:
        try:
            message = await self.bot.send_message(
                chat_id=row.chat_id,
                text=row.text,
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=not row.link_previews),
                reply_markup=_keyboard(row.buttons, _app_button(row, self.settings)),
                message_thread_id=row.thread_id,
            )
        except ChatMigrated as exc:
            await self._migrated(chat, exc.new_chat_id)
        except RetryAfter as exc:
            await self._rate_limited(chat, row, _retry_seconds(exc))
        except Forbidden as exc:
            await self._forbidden(chat, exc.message)
        except BadRequest as exc:
            if _chat_gone(exc.message):
                await self._forbidden(chat, exc.message)
            else:
                await self._rejected(chat, row, exc.message)
        except InvalidToken as exc:
            log.critical("telegram refused the token; pausing the sender 60 s")
            self._pacer.pause(time.monotonic() + 60)
            await self._retry(chat, row, 60.0, exc.message)
        except TelegramError as exc:  # NetworkError, TimedOut, 5xx
            delay = min(self.backoff_cap, self.backoff_base * 2**row.attempts)
            await self._retry(chat, row, delay, exc.message)
        else:
            await self._record_sent(row.id, message.message_id)
            log.debug("message sent chat_id=%s row=%s", row.chat_id, row.id)
            self.stats.sent += 1
            observe.MESSAGES.labels("sent").inc()
            self._queues.sent(chat, row, time.monotonic())

    async def _record_sent(self, row_id: int, telegram_id: int) -> None:
        """Mark the row sent once the write is committed. Marks that arrive while a write runs
        go in the next one (group commit): no added delay, one transaction per burst."""
        done = asyncio.get_running_loop().create_future()
        self._marks.append((row_id, telegram_id, done))
        if self._marker is None or self._marker.done():
            self._marker = asyncio.create_task(self._write_marks())
        await done

    async def _write_marks(self) -> None:
        while self._marks:
            batch, self._marks = self._marks, []
            try:
                sent = [(row_id, telegram_id) for row_id, telegram_id, _ in batch]
                await outbox.mark_sent_many(self.store, sent, now=_utcnow())
            except STORAGE_ERRORS as exc:
                for _, _, done in batch:
                    done.set_exception(exc)
            else:
                for _, _, done in batch:
                    done.set_result(None)

    async def _retry(self, chat: ChatQueue, row: OutboxMessage, delay: float, error: str) -> None:
        when = _utcnow() + timedelta(seconds=delay)
        await outbox.mark_retry(self.store, row.id, next_attempt_at=when, error=error[:500])
        log.warning(
            "message retry chat_id=%s row=%s in=%.1fs error=%s", row.chat_id, row.id, delay, error
        )
        self.stats.retried += 1
        observe.MESSAGES.labels("retried").inc()
        at = time.monotonic() + delay
        if at > self._horizon:
            self._queues.forget(chat)  # a drain leaves it to the DB (mark_retry held the rest)
        else:
            self._queues.retry(chat, replace(row, attempts=row.attempts + 1), at)

    async def _rate_limited(self, chat: ChatQueue, row: OutboxMessage, seconds: float) -> None:
        self.stats.rate_limited += 1
        observe.MESSAGES.labels("rate_limited").inc()
        self._pacer.pause(time.monotonic() + seconds)
        await self._retry(chat, row, seconds, f"RetryAfter {seconds:g}s")

    async def _forbidden(self, chat: ChatQueue, error: str) -> None:
        gone = await deactivate_chat(self.store, chat.chat_id, now=_utcnow(), refused=error)
        log.warning(
            "chat unreachable chat_id=%s dropped=%s error=%s", chat.chat_id, gone.dropped, error
        )
        self.stats.dropped += gone.dropped
        observe.MESSAGES.labels("dropped").inc(gone.dropped)
        self._queues.forget(chat)

    async def _rejected(self, chat: ChatQueue, row: OutboxMessage, error: str) -> None:
        now = _utcnow()
        await outbox.mark_failed(self.store, row.id, error=error[:500], now=now)
        log.warning("message rejected chat_id=%s row=%s error=%s", row.chat_id, row.id, error)
        self.stats.failed += 1
        observe.MESSAGES.labels("failed").inc()
        self._queues.forget(chat, row)
        if not row.slot.startswith(ALERT_PREFIX) and self.settings.admin_ids:
            await self._alert(row, error, now)
            self._claim_after = 0.0  # pick the alert up soon

    async def _alert(self, row: OutboxMessage, error: str, now: datetime) -> None:
        note = words.delivery_failed(
            chat_id=row.chat_id, row_id=row.id, slot=row.slot, part=row.part, error=error
        )
        async with self.store.begin() as conn:
            for admin_id in self.settings.admin_ids:
                await outbox.enqueue(
                    conn,
                    chat_id=admin_id,
                    slot=f"{ALERT_PREFIX}{row.id}",
                    parts=[note],
                    link_previews=False,
                    now=now,
                    kind="alert",
                )

    async def _migrated(self, chat: ChatQueue, new_chat_id: int) -> None:
        move = await move_chat(self.store, chat.chat_id, new_chat_id, now=_utcnow())
        log.warning(
            "chat migrated chat_id=%s new_chat_id=%s moved=%s",
            chat.chat_id,
            new_chat_id,
            move.messages,
        )
        self.stats.migrated += 1
        # The moved rows come back through the next claim, under their new chat id.
        self._queues.forget(chat)
        self._claim_after = 0.0


def _keyboard(
    buttons: str | None, extra: InlineKeyboardButton | None = None
) -> InlineKeyboardMarkup | None:
    """Return the inline keyboard an outbox row carries (JSON rows of [label, data])."""
    if not buttons:
        return None
    rows = [
        [InlineKeyboardButton(label, callback_data=data) for label, data in row]
        for row in json.loads(buttons)
    ]
    return InlineKeyboardMarkup([*rows, [extra]] if extra else rows)


def _app_button(row: OutboxMessage, settings: Settings) -> InlineKeyboardButton | None:
    """Return "Open the app" for the last message of a private chat's digest, if the app runs.

    Telegram takes web_app buttons only in private chats (positive ids) and over HTTPS; the
    address is added here, not stored, so a digest queued before a move still opens the app.
    """
    base = settings.web_base_url
    if not base or not base.startswith("https://") or row.chat_id <= 0:
        return None
    if not row.slot.startswith("digest:"):
        return None
    return InlineKeyboardButton(words.BUTTON_OPEN_APP, web_app=WebAppInfo(f"{base}/app/"))

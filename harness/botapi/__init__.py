"""A fake Telegram Bot API for tests: a real HTTP server on 127.0.0.1 that PTB's Bot talks to.

    api = FakeBotAPI().start()             # or the `bot_api` fixture
    bot = Bot(api.token, base_url=api.base_url)
    api.send(42, "/start")                 # user 42 writes to the bot (an update to poll)
    await api.wait_sent(42)                # what user 42 now sees from the bot
    api.fail_next(1, status=429, retry_after=2)
    api.calls("sendMessage")               # every call: method, params, arrival time, status

It behaves like Telegram where the documentation says how (https://core.telegram.org/bots/api):
getUpdates long polling with offsets, Message objects back from sendMessage/editMessageText,
"can't parse entities" for bad HTML, "message is too long" past 4096 UTF-16 units after
parsing, 403 for blocked users, 400 with migrate_to_chat_id for upgraded groups, and 429 with
retry_after past the sending limits (30 messages/s overall, 1/s per private chat sustained,
20/min per group). `python -m harness.botapi` runs it standalone for other processes.

Chats the bot writes to are created on first use (positive ids private, -100... supergroups,
other negative ids groups); set `api.state.auto_create_chats = False` for Telegram's 400
"chat not found" instead. Set PTB_TIMEDELTA=true in the bot's process (the fixture does) or
every RetryAfter raises PTB 22's deprecation warning.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import TypeVar

from telegram import Bot

from harness.botapi.server import RemoteBotAPI, Server, push_webhook_updates
from harness.botapi.state import DEFAULT_TOKEN, JSON, Call, ChatMessage, Limits, State
from harness.botapi.users import UserActions
from harness.wait import wait_until

__all__ = [
    "DEFAULT_TOKEN",
    "Call",
    "ChatMessage",
    "FakeBotAPI",
    "Limits",
    "RemoteBotAPI",
    "bot_api",
]

T = TypeVar("T")


class FakeBotAPI(UserActions):
    """The fake Bot API: its state, its server, the users' actions and what tests read back."""

    def __init__(
        self, token: str = DEFAULT_TOKEN, *, limits: Limits | None = None, port: int = 0
    ) -> None:
        self.state = State(token, limits=limits)
        self.token = token
        self._port = port
        self._server: Server | None = None
        self._threads: list[threading.Thread] = []

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> FakeBotAPI:
        """Start serving on 127.0.0.1 (a free port unless one was given) and return self.

        A stopped fake starts again with its state, as Telegram's servers come back.
        """
        with self.state.cond:
            self.state.closed = False
        self._server = Server(self, self._port)
        self._threads = [
            threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},  # how quickly stop() returns
                name="fake-bot-api",
                daemon=True,
            ),
            threading.Thread(
                target=push_webhook_updates, args=(self.state,), name="fake-webhook", daemon=True
            ),
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, end long polls and close every connection."""
        with self.state.cond:
            self.state.closed = True
            self.state.cond.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.cut_connections()
            self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> FakeBotAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Return the server's root URL, e.g. http://127.0.0.1:40123."""
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        """Return the base_url for telegram.Bot / NEWSBOT_TELEGRAM_BASE_URL."""
        return f"{self.url}/bot"

    def make_bot(self) -> Bot:
        """Return a (not yet initialized) PTB Bot pointed at this fake."""
        return Bot(self.token, base_url=self.base_url)

    # -- what the test reads back ------------------------------------------------------

    def calls(self, method: str | None = None, *, chat_id: int | None = None) -> list[Call]:
        """Return the recorded calls, oldest first, optionally of one method and chat."""
        with self.state.cond:
            return [
                c
                for c in self.state.calls
                if (method is None or c.method == method)
                and (chat_id is None or c.chat_id == chat_id)
            ]

    def clear_calls(self) -> None:
        """Forget the recorded calls."""
        with self.state.cond:
            self.state.calls.clear()

    def sent(self, chat_id: int) -> list[ChatMessage]:
        """Return the bot's messages a chat shows now (edits applied, deleted ones gone)."""
        with self.state.cond:
            return [m for m in self.state.log.get(chat_id, []) if m.from_bot and not m.deleted]

    def texts(self, chat_id: int) -> list[str]:
        """Return the texts of the bot's messages in a chat, as the user reads them."""
        return [m.text for m in self.sent(chat_id)]

    def answer(self, query_id: str) -> JSON | None:
        """Return the answerCallbackQuery parameters for a button press, if answered."""
        with self.state.cond:
            return self.state.answers.get(query_id)

    def commands(self) -> list[str]:
        """Return the command names registered for the default scope."""
        with self.state.cond:
            stored = self.state.commands.get('"default"|', [])
            return [str(command.get("command")) for command in stored]

    def pending_updates(self) -> list[JSON]:
        """Return the updates not yet confirmed by the bot."""
        with self.state.cond:
            return list(self.state.updates)

    def bot_log(self) -> list[JSON]:
        """Return every message the bot sent: chat, message id, sha1 of the markup, time."""
        with self.state.cond:
            return [
                {
                    "chat_id": m.chat_id,
                    "message_id": m.message_id,
                    "sha1": hashlib.sha1((m.html or m.text).encode()).hexdigest(),
                    "date": m.date,
                }
                for messages in self.state.log.values()
                for m in messages
                if m.from_bot
            ]

    def summary(self) -> JSON:
        """Return counts: calls by status, messages sent, chats written to."""
        with self.state.cond:
            statuses: dict[str, int] = {}
            for call in self.state.calls:
                statuses[str(call.status)] = statuses.get(str(call.status), 0) + 1
            sent = [c for c in self.state.calls if c.method == "sendMessage" and c.status == 200]
            return {
                "calls": len(self.state.calls),
                "by_status": statuses,
                "sent": len(sent),
                "first_sent_at": sent[0].at if sent else None,
                "last_sent_at": sent[-1].at if sent else None,
            }

    def polls_started(self) -> int:
        """Return how many getUpdates calls have reached the fake (long polls included)."""
        with self.state.cond:
            return self.state.poll_generation

    # -- waiting (async tests) ---------------------------------------------------------

    async def wait_for(self, check: Callable[[], T | None], timeout: float = 5.0) -> T:
        """Return check()'s first truthy value, polling; fail after `timeout` seconds."""

        async def ask() -> T | None:
            return check()

        try:
            return await wait_until(ask, within=timeout, every=0.01, what="fake Bot API")
        except TimeoutError as exc:
            raise AssertionError(f"fake Bot API: nothing after {timeout} s") from exc

    async def wait_sent(
        self, chat_id: int, count: int = 1, timeout: float = 5.0
    ) -> list[ChatMessage]:
        """Return the chat's bot messages once there are at least `count`."""

        def enough() -> list[ChatMessage] | None:
            messages = self.sent(chat_id)
            return messages if len(messages) >= count else None

        return await self.wait_for(enough, timeout)

    async def wait_answer(self, query_id: str, timeout: float = 5.0) -> JSON:
        """Return the answer to a button press once the bot gave it."""
        return await self.wait_for(lambda: self.answer(query_id), timeout)

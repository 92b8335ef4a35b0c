"""The fake Telegram's state: chats, message logs, updates, recorded calls, limits and faults.

Everything is guarded by one Condition, so HTTP handler threads, long polls and the test's own
thread see one consistent world. Times of calls are time.monotonic() at arrival.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_TOKEN = "123456789:AAHfakeTokenForNewsbotTests-0123456789"
JSON = dict[str, object]

# Types Telegram leaves out of getUpdates unless allowed_updates lists them.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class ApiError(Exception):
    """A Bot API error answer: HTTP status, Telegram's description, optional parameters."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def bad_request(message: str) -> ApiError:
    """Return a 400 error with Telegram's "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {message}")


@dataclass
class Call:
    """One request the bot made: method, decoded parameters, arrival time, answer status."""

    method: str
    params: JSON
    at: float
    status: int = 200
    description: str | None = None

    @property
    def chat_id(self) -> object:
        """Return the call's chat_id parameter (None when it has none)."""
        return self.params.get("chat_id")


@dataclass
class ChatMessage:
    """A message in a chat as its members see it: text with entities, edits applied."""

    chat_id: int
    message_id: int
    text: str
    date: int
    from_bot: bool
    entities: list[JSON] = field(default_factory=list)
    html: str | None = None  # the markup the bot sent, when it used parse_mode HTML
    reply_markup: JSON | None = None
    link_preview_options: JSON | None = None
    user_id: int | None = None  # the human author, for messages users send
    edit_date: int | None = None
    deleted: bool = False
    extra: JSON = field(default_factory=dict)  # service fields (migrate_to_chat_id, ...)

    def buttons(self) -> list[JSON]:
        """Return the inline keyboard's buttons, row by row, flattened."""
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard") or []
        return [button for row in rows for button in row]  # type: ignore[attr-defined]

    def labels(self) -> list[str]:
        """Return the texts of the inline keyboard's buttons."""
        return [str(button.get("text")) for button in self.buttons()]

    def callback_data(self, label: str) -> str:
        """Return the callback_data of the button whose text contains `label`."""
        for button in self.buttons():
            if label in str(button.get("text")) and "callback_data" in button:
                return str(button["callback_data"])
        raise LookupError(f"no button {label!r} in message {self.message_id}: {self.labels()}")


@dataclass
class Fault:
    """An injected failure for the next `remaining` matching calls."""

    remaining: int
    status: int  # 0: drop the connection without an answer
    retry_after: int | None = None
    description: str | None = None
    method: str | None = "sendMessage"
    chat_id: int | None = None
    deliver: bool = False  # status 0 only: Telegram took the message, the answer got lost

    def matches(self, method: str, chat_id: object) -> bool:
        """Return whether this fault applies to a call."""
        if self.method is not None and self.method != method:
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def error(self) -> ApiError:
        """Return the answer this fault gives."""
        if self.status == 429:
            wait = self.retry_after or 1
            return ApiError(
                429,
                self.description or f"Too Many Requests: retry after {wait}",
                {"retry_after": wait},
            )
        default = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
        return ApiError(self.status, self.description or default.get(self.status, "Error"))


@dataclass
class TokenBucket:
    """`rate` tokens a second, at most `capacity` saved up."""

    rate: float
    capacity: float
    tokens: float = -1.0
    stamp: float = 0.0

    def take(self, now: float) -> float:
        """Take a token and return 0, or return the seconds until one is available."""
        if self.tokens < 0:
            self.tokens, self.stamp = self.capacity, now
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class Limits:
    """Telegram's documented sending limits; `enabled=False` switches all of them off."""

    enabled: bool = True
    global_rate: float = 30.0  # messages a second over all chats (bursts up to one second's worth)
    private_rate: float = 1.0  # messages a second to one private chat, sustained
    private_burst: int = 5
    group_per_minute: int = 20  # messages a minute to one group, supergroup or channel


class State:
    """The world the fake Bot API serves; harness/botapi/__init__.py has the test-facing API."""

    def __init__(self, token: str = DEFAULT_TOKEN, *, limits: Limits | None = None) -> None:
        self.token = token
        self.cond = threading.Condition(threading.RLock())
        self.limits = limits or Limits()
        self.auto_create_chats = True
        self.clock: Callable[[], float] = time.time
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        self.bot_user: JSON = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Newsbot Test",
            "username": "newsbot_test_bot",
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.users: dict[int, JSON] = {}
        self.chats: dict[int, JSON] = {}
        self.usernames: dict[str, int] = {}
        self.forbidden: dict[int, str] = {}  # chat id -> Telegram's 403 description
        self.migrated: dict[int, int] = {}  # old group id -> supergroup id
        self.admins: dict[int, tuple[int | None, list[int]]] = {}  # chat -> (owner, admins)
        self.bot_admin_in: set[int] = set()
        self.left: set[tuple[int, int]] = set()  # (chat, user): not a member (getChatMember)
        self.log: dict[int, list[ChatMessage]] = {}
        self.message_ids: dict[int, itertools.count[int]] = {}
        self.updates: list[JSON] = []
        self.update_ids = itertools.count(700_000_001)
        self.allowed_updates: list[str] = []
        self.callbacks: dict[str, JSON] = {}  # unanswered callback queries by id
        self.callback_ids = itertools.count(4_000_000_001)
        self.answers: dict[str, JSON] = {}  # answerCallbackQuery parameters by query id
        self.inline_queries: dict[str, JSON] = {}  # unanswered inline queries by id
        self.commands: dict[str, list[JSON]] = {}
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.buckets: dict[object, TokenBucket] = {}
        self.webhook: JSON = {}
        self.poll_generation = 0
        # Documents by file_id: (file name, MIME type, bytes); what getFile and downloads serve.
        self.files: dict[str, tuple[str, str, bytes]] = {}
        self.file_ids = itertools.count(1)
        self.file_sizes: dict[str, int] = {}  # sizes announced larger than the bytes kept
        self.closed = False

    # -- chats -------------------------------------------------------------------------

    def ensure_user(
        self, user_id: int, first_name: str = "Ann", username: str | None = None
    ) -> JSON:
        """Return the user with this id, created on first use."""
        with self.cond:
            if user_id not in self.users:
                user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
                if username:
                    user["username"] = username
                user["language_code"] = "en"
                self.users[user_id] = user
            return self.users[user_id]

    def add_chat(self, chat: JSON) -> JSON:
        """Register a chat object (id, type, title/first_name, username)."""
        with self.cond:
            chat_id = int(str(chat["id"]))
            self.chats[chat_id] = chat
            if chat.get("username"):
                self.usernames[str(chat["username"]).lower()] = chat_id
            self.log.setdefault(chat_id, [])
            self.message_ids.setdefault(chat_id, itertools.count(1))
            return chat

    def chat(self, chat_id: int | str, *, create: bool = False) -> JSON:
        """Return the chat for an id or @username; 400 "chat not found" when unknown."""
        with self.cond:
            if isinstance(chat_id, str):
                found = self.usernames.get(chat_id.removeprefix("@").lower())
                if found is None:
                    raise bad_request("chat not found")
                chat_id = found
            if chat_id in self.chats:
                return self.chats[chat_id]
            if not (create and self.auto_create_chats) or chat_id == 0:
                raise bad_request("chat not found")
            if chat_id > 0:
                user = self.ensure_user(chat_id, f"User {chat_id}")
                return self.add_chat(
                    {"id": chat_id, "type": "private", "first_name": user["first_name"]}
                )
            kind = "supergroup" if str(chat_id).startswith("-100") else "group"
            return self.add_chat({"id": chat_id, "type": kind, "title": f"Group {chat_id}"})

    def check_reachable(self, chat_id: int) -> None:
        """Raise the 403 or migration error Telegram gives for this chat, if any."""
        if chat_id in self.migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self.migrated[chat_id]},
            )
        if chat_id in self.forbidden:
            raise ApiError(403, self.forbidden[chat_id])

    # -- messages ----------------------------------------------------------------------

    def new_message(self, chat_id: int, text: str, **fields: object) -> ChatMessage:
        """Append a message to the chat's log and return it."""
        with self.cond:
            self.chat(chat_id, create=True)
            message = ChatMessage(
                chat_id=chat_id,
                message_id=next(self.message_ids[chat_id]),
                text=text,
                date=int(self.clock()),
                **fields,  # type: ignore[arg-type]
            )
            self.log[chat_id].append(message)
            self.cond.notify_all()
            return message

    def find_message(self, chat_id: int, message_id: int) -> ChatMessage | None:
        """Return the visible message with this id in the chat, or None."""
        for message in self.log.get(chat_id, []):
            if message.message_id == message_id and not message.deleted:
                return message
        return None

    def message_json(self, message: ChatMessage) -> JSON:
        """Return the Message object Telegram would send for `message`."""
        chat = self.chats[message.chat_id]
        data: JSON = {"message_id": message.message_id, "date": message.date, "chat": chat}
        if chat["type"] == "channel":
            data["sender_chat"] = chat
        elif message.from_bot:
            data["from"] = self.bot_user
        elif message.user_id is not None:
            data["from"] = self.ensure_user(message.user_id)
        if message.text:
            data["text"] = message.text
        if message.entities:
            data["entities"] = message.entities
        # A Message carries only inline keyboards; ForceReply and reply keyboards are not echoed.
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            data["reply_markup"] = message.reply_markup
        if message.link_preview_options:
            data["link_preview_options"] = message.link_preview_options
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        data.update(message.extra)
        return data

    # -- updates -----------------------------------------------------------------------

    def push_update(self, kind: str, payload: JSON) -> JSON:
        """Queue an update for getUpdates (or the webhook) and return it."""
        with self.cond:
            update: JSON = {"update_id": next(self.update_ids), kind: payload}
            self.updates.append(update)
            self.cond.notify_all()
            return update

    def confirm(self, offset: int) -> None:
        """Forget updates before `offset` (negative: keep only the last -offset)."""
        if offset < 0:
            self.updates = self.updates[offset:]
        else:
            self.updates = [u for u in self.updates if int(str(u["update_id"])) >= offset]

    def deliverable(self, limit: int) -> list[JSON]:
        """Return up to `limit` queued updates of the allowed types."""
        allowed = set(self.allowed_updates)

        def wanted(update: JSON) -> bool:
            kind = next(key for key in update if key != "update_id")
            return kind in allowed if allowed else kind not in OPT_IN_UPDATES

        return [u for u in self.updates if wanted(u)][:limit]

    # -- limits and faults -------------------------------------------------------------

    def take_fault(self, method: str, chat_id: object) -> Fault | None:
        """Return the first injected fault matching the call, counting it used."""
        for fault in self.faults:
            if fault.remaining > 0 and fault.matches(method, chat_id):
                fault.remaining -= 1
                self.faults = [f for f in self.faults if f.remaining > 0]
                return fault
        return None

    def check_rate(self, chat: JSON, now: float) -> None:
        """Count one message to `chat`; raise 429 when a documented limit is exceeded."""
        limits = self.limits
        if not limits.enabled:
            return
        if chat["type"] == "private":
            chat_bucket = (limits.private_rate, float(limits.private_burst))
        else:
            chat_bucket = (limits.group_per_minute / 60.0, float(limits.group_per_minute))
        keys: list[tuple[object, tuple[float, float]]] = [
            ("global", (limits.global_rate, max(1.0, limits.global_rate))),
            (chat["id"], chat_bucket),
        ]
        buckets = [self.buckets.setdefault(key, TokenBucket(*spec)) for key, spec in keys]
        # Peek first so a refused message costs no token anywhere.
        saved = [(b.tokens, b.stamp) for b in buckets]
        waits = [b.take(now) for b in buckets]
        if any(waits):
            for bucket, (tokens, stamp) in zip(buckets, saved, strict=True):
                if tokens >= 0:
                    bucket.tokens, bucket.stamp = tokens, stamp
                else:
                    bucket.tokens = -1.0
            retry = max(1, math.ceil(max(waits)))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})

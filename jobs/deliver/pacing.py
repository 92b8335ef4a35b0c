"""The sender's memory: rows held per chat, when each chat may next receive, the global pace.

No I/O here. Times are time.monotonic() seconds.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from dataclasses import dataclass, field

from news.models import OutboxMessage


class Pacer:
    """Spaces sends at `rate` per second (GCRA), allowing a small burst to catch up lateness.

    Over any span T it starts at most rate * T + rate / 10 sends, which a server enforcing
    `rate` with a one-second bucket (Telegram's flood control, the fake's) never refuses.
    """

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.tolerance = max(0.0, rate / 10 - 1) * self.interval
        self.tat = 0.0  # theoretical arrival time of the next send
        self.paused_until = 0.0

    def ready_at(self) -> float:
        """Return the earliest time the next send may start."""
        return max(self.tat - self.tolerance, self.paused_until)

    def take(self, now: float) -> None:
        """Count one send starting at `now`."""
        self.tat = max(self.tat, now) + self.interval

    def pause(self, until: float) -> None:
        """Hold every send until `until` (flood control)."""
        self.paused_until = max(self.paused_until, until)


@dataclass(slots=True)
class ChatQueue:
    """One chat's rows (in id order) and pacing state."""

    chat_id: int
    rows: list[OutboxMessage] = field(default_factory=list)
    ready_at: float = 0.0
    busy: bool = False  # a send to this chat is under way
    queued: bool = False  # the chat has an entry in the heap of ChatQueues
    recent: deque[float] = field(default_factory=deque)  # last sends, for the per-minute cap


class ChatQueues:
    """The rows a sender holds, grouped by chat, and which chat may receive next.

    A heap orders the chats by `ready_at`, so a chat that must wait (one message a second, 20 a
    minute to a group, a retry) never holds back the others. Each chat has at most one send
    under way and sends its rows in id order, so a digest's parts stay in order.
    """

    def __init__(self, *, chat_interval: float, group_per_minute: int) -> None:
        self.chat_interval = chat_interval
        self.group_per_minute = group_per_minute
        self.chats: dict[int, ChatQueue] = {}
        self.held: set[int] = set()
        self._heap: list[tuple[float, int, int]] = []
        self._seq = itertools.count()

    def add(self, row: OutboxMessage) -> bool:
        """Hold a claimed row; return False when it is held already."""
        if row.id in self.held:
            return False
        self.held.add(row.id)
        chat = self.chats.get(row.chat_id)
        if chat is None:
            chat = self.chats[row.chat_id] = ChatQueue(row.chat_id)
        chat.rows.append(row)
        if len(chat.rows) > 1 and chat.rows[-2].id > row.id:
            chat.rows.sort(key=lambda r: r.id)
        self._push(chat)
        return True

    def peek(self) -> ChatQueue | None:
        """Return the chat that may receive soonest, dropping stale heap entries."""
        while self._heap:
            ready_at, _, chat_id = self._heap[0]
            chat = self.chats.get(chat_id)
            if chat is None or chat.busy or not chat.rows or not chat.queued:
                heapq.heappop(self._heap)
                if chat is not None:
                    chat.queued = False
                continue
            if ready_at != chat.ready_at:
                heapq.heapreplace(self._heap, (chat.ready_at, next(self._seq), chat_id))
                continue
            return chat
        return None

    def take(self, chat: ChatQueue) -> OutboxMessage:
        """Start a send to `chat` (the one peek() returned); return its next row."""
        heapq.heappop(self._heap)
        chat.queued = False
        chat.busy = True
        return chat.rows[0]

    def finish(self, chat: ChatQueue, now: float) -> None:
        """The send to `chat` is over, whatever its outcome: queue the chat's next row."""
        chat.busy = False
        if not chat.rows and chat.ready_at < now and not self._in_window(chat, now):
            self.chats.pop(chat.chat_id, None)
        self._push(chat)

    def sent(self, chat: ChatQueue, row: OutboxMessage, now: float) -> None:
        """Telegram took `row` at `now`: forget it and pace the chat's next message."""
        self.forget(chat, row)
        chat.ready_at = now + self.chat_interval
        if chat.chat_id < 0:  # groups, supergroups and channels: 20 a minute
            chat.recent.append(now)
            while len(chat.recent) > self.group_per_minute:
                chat.recent.popleft()
            if len(chat.recent) == self.group_per_minute:
                chat.ready_at = max(chat.ready_at, chat.recent[0] + 60.0)

    def retry(self, chat: ChatQueue, row: OutboxMessage, at: float) -> None:
        """Keep `row` (with its attempt counted) first in its chat, due again at `at`."""
        chat.ready_at = max(chat.ready_at, at)
        chat.rows = [row if r.id == row.id else r for r in chat.rows]

    def forget(self, chat: ChatQueue, row: OutboxMessage | None = None) -> None:
        """Drop one row (all the chat's rows when None) from memory."""
        gone = chat.rows if row is None else [r for r in chat.rows if r.id == row.id]
        for old in gone:
            self.held.discard(old.id)
        chat.rows = [] if row is None else [r for r in chat.rows if r.id != row.id]

    def prune(self, now: float) -> None:
        """Forget idle chats whose pacing no longer matters."""
        for chat in list(self.chats.values()):
            if not (chat.busy or chat.rows or chat.ready_at >= now or self._in_window(chat, now)):
                del self.chats[chat.chat_id]

    def _in_window(self, chat: ChatQueue, now: float) -> bool:
        return bool(chat.recent) and chat.recent[-1] > now - 60.0

    def _push(self, chat: ChatQueue) -> None:
        if chat.rows and not chat.busy and not chat.queued:
            chat.queued = True
            heapq.heappush(self._heap, (chat.ready_at, next(self._seq), chat.chat_id))

"""What happens to a chat as a whole: it moves to a new id, or it is gone for good.

The bot learns of both from updates (a migration service message, the bot being removed or
blocked) and the sender from Telegram's answers (ChatMigrated, 403); both call these, so a chat
is moved or stopped the same way whoever notices first, and noticing twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from news.storage import outbox, searches, subscriptions
from news.storage.db import Store


@dataclass(frozen=True, slots=True)
class ChatMove:
    """What moved to the new chat id: the subscription (False: none, or the new chat had its
    own), pending messages, saved searches."""

    subscription: bool
    messages: int
    searches: int


@dataclass(frozen=True, slots=True)
class ChatGone:
    """What stopped: whether the subscription was active, how many pending messages dropped."""

    was_active: bool
    dropped: int


async def move_chat(
    store: Store, old_chat_id: int, new_chat_id: int, *, now: datetime
) -> ChatMove:
    """Move everything keyed by the chat id to its new id (group -> supergroup), atomically."""
    async with store.begin() as conn:
        moved = await subscriptions.move_chat(conn, old_chat_id, new_chat_id, now=now)
        messages = await outbox.move_chat(conn, old_chat_id, new_chat_id, now=now)
        saved = await searches.move_chat(conn, old_chat_id, new_chat_id)
    return ChatMove(subscription=moved, messages=messages, searches=saved)


async def deactivate_chat(
    store: Store, chat_id: int, *, now: datetime, refused: str | None = None
) -> ChatGone:
    """Stop digests to a chat that blocked or removed the bot, atomically.

    `refused` is Telegram's answer when a send was refused: then none of the chat's pending
    messages can arrive, and they are dropped with it as the reason. Without it (the bot only
    heard it was removed) they stay, and the sender drops them when Telegram refuses the first.
    """
    async with store.begin() as conn:
        was_active = await subscriptions.deactivate(conn, chat_id, now=now)
        dropped = 0
        if refused is not None:
            dropped = await outbox.drop_chat(conn, chat_id, reason=refused[:500], now=now)
    return ChatGone(was_active=was_active, dropped=dropped)

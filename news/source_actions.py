"""What a chat may do to one of its sources outside the chat's buttons: remove, mute, digest only.

The same rows /sources' buttons change (chat_sources), so the chat and the web app agree.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from news.storage import sources as source_store
from news.storage.db import Store

MUTE_FOR = timedelta(days=7)  # as /sources' "Mute 7 days"
ACTIONS = ("remove", "mute", "unmute", "digest_only", "alerts_too")


async def change_source(
    store: Store, chat_id: int, feed_id: int, action: str, *, now: datetime
) -> bool:
    """Apply `action` (one of ACTIONS) to the chat's source; return whether the chat has it.

    ValueError for an unknown action.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if action == "remove":
        async with store.begin() as conn:
            return await source_store.remove(conn, chat_id, [feed_id]) > 0
    if action in ("mute", "unmute"):
        until = now + MUTE_FOR if action == "mute" else None
        return await source_store.update_source(store, chat_id, feed_id, muted_until=until)
    return await source_store.update_source(
        store, chat_id, feed_id, digest_only=action == "digest_only"
    )

"""Per-chat limits, counted in the database so they hold across bot replicas."""

from __future__ import annotations

from datetime import datetime, timedelta

from news.storage.db import Store
from news.storage.searches import count_searches

WINDOW = timedelta(minutes=1)


async def search_allowed(store: Store, chat_id: int, *, now: datetime, per_minute: int) -> bool:
    """Return whether `chat_id` may start another search (fewer than `per_minute` in a minute)."""
    return await count_searches(store, chat_id, since=now - WINDOW) < per_minute

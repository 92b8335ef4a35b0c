"""newsbot db copy: everything moves from SQLite to PostgreSQL and search works there."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from news import subscriptions
from news.errors import NewsbotError
from news.models import ParsedEntry
from news.search import search
from news.storage import articles as article_store
from news.storage import feeds as feed_store
from news.storage import outbox
from news.storage.copy import copy_database
from news.storage.db import Store, open_store

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


async def fill(store: Store) -> None:
    feed, _ = await feed_store.add_feed(store, "https://example.com/feed.xml", now=NOW)
    entries = [
        ParsedEntry(entry_hash=f"h{i}", title=f"Volcano erupts again {i}", text="Lava flows.")
        for i in range(3)
    ]
    await article_store.upsert_articles(store, feed.id, entries, now=NOW)
    await subscriptions.subscribe(
        store,
        42,
        chat_type="private",
        title=None,
        digest_times=[time(8)],
        timezone="UTC",
        max_articles=10,
        now=NOW,
    )
    async with store.begin() as conn:
        await outbox.enqueue(
            conn, chat_id=42, slot="s", parts=["a", "b"], link_previews=False, now=NOW
        )


async def test_copy_sqlite_to_postgresql(store: Store, pg_url: str) -> None:
    await fill(store)
    target = await open_store(pg_url)
    try:
        counts = await copy_database(store, target)
        assert counts == {
            "feeds": 1,
            "articles": 3,
            "subscriptions": 1,
            "outbox": 2,
            "searches": 0,
        }
        hits = await search(target, "volcano")
        assert len(hits) == 3
        # New rows get new ids after the copied ones.
        feed, created = await feed_store.add_feed(target, "https://example.com/2.xml", now=NOW)
        assert created
        assert feed.id == 2
        with pytest.raises(NewsbotError, match="not empty"):
            await copy_database(store, target)
    finally:
        await target.close()

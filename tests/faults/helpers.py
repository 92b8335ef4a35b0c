"""What the fault tests put in the database and read back to prove nothing was lost or doubled."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import func, select

from harness.botapi import FakeBotAPI
from harness.farm import FeedServerProcess
from news.storage import outbox
from news.storage.db import Store
from news.storage.feeds import add_feed
from news.storage.tables import articles, feeds
from news.storage.tables import outbox as outbox_table

SLOT = "2026-11-25T08:00"


def now() -> datetime:
    return datetime.now(UTC)


async def add_feeds(store: Store, urls: list[str]) -> dict[int, int]:
    """Add every feed; return {feed server index: feed id}."""
    ids = {}
    for index, url in enumerate(urls):
        feed, _ = await add_feed(store, url, now=now())
        ids[index] = feed.id
    return ids


async def stored_stories(store: Store) -> Counter[tuple[int, str]]:
    """Return how many times each (feed id, GUID) is stored."""
    async with store.connect() as conn:
        rows = (await conn.execute(select(articles.c.feed_id, articles.c.guid))).all()
    return Counter((row.feed_id, row.guid) for row in rows)


def served_stories(server: FeedServerProcess, ids: dict[int, int]) -> set[tuple[int, str]]:
    """Return every (feed id, GUID) the feed server has published so far."""
    return {(ids[index], g) for index, guids in server.expected().items() for g in guids}


async def feed_rows(store: Store) -> list[dict[str, object]]:
    """Return every feed row as a dict, by id."""
    async with store.connect() as conn:
        result = await conn.execute(select(feeds).order_by(feeds.c.id))
        return [dict(row._mapping) for row in result]


async def leased_to(store: Store, pid: int) -> int:
    """Return how many feeds hold an unexpired lease of process `pid`."""
    stmt = select(func.count()).where(
        feeds.c.lease_owner.like(f"%:{pid}"), feeds.c.lease_until > now()
    )
    async with store.connect() as conn:
        return int((await conn.execute(stmt)).scalar_one())


async def queue_messages(store: Store, chats: range, parts: int = 1) -> set[str]:
    """Queue `parts` messages to each chat; return their texts (each one unique)."""
    texts = set()
    async with store.begin() as conn:
        for chat_id in chats:
            body = [f"digest {SLOT} for chat {chat_id}, part {p}" for p in range(parts)]
            await outbox.enqueue(
                conn, chat_id=chat_id, slot=SLOT, parts=body, link_previews=False, now=now()
            )
            texts.update(body)
    return texts


async def outbox_statuses(store: Store) -> Counter[str]:
    """Return how many outbox rows are in each status."""
    async with store.connect() as conn:
        rows = (await conn.execute(select(outbox_table.c.status))).all()
    return Counter(row.status for row in rows)


async def all_sent(store: Store) -> bool:
    """Return whether every outbox row is sent."""
    statuses = await outbox_statuses(store)
    return bool(statuses) and set(statuses) == {"sent"}


def received(api: FakeBotAPI) -> Counter[str]:
    """Return how many times Telegram accepted each message text."""
    return Counter(str(c.params.get("text")) for c in api.calls("sendMessage") if c.status == 200)

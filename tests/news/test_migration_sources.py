"""Migration 0007: existing subscribers keep getting what they got; the admins' feeds become the
default set; feeds get their URL keys (two old spellings of one feed stay two rows)."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, select, text

from news.storage.db import MIGRATIONS, Store
from news.storage.tables import chat_sources, feeds

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def migrate(connection: Connection, revision: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    (command.downgrade if down else command.upgrade)(config, revision)


async def test_existing_subscribers_keep_their_feeds(any_store: Store) -> None:
    async with any_store.begin() as conn:
        await conn.run_sync(migrate, "0006", down=True)
        for n, url in enumerate(
            ["https://a.example/feed", "https://b.example/rss", "http://A.example/feed/"], 1
        ):
            await conn.execute(
                text("INSERT INTO feeds (id, url, enabled, next_check_at, error_count, "
                     "created_at) VALUES (:id, :url, true, :now, 0, :now)"),
                {"id": n, "url": url, "now": NOW.replace(tzinfo=None)},
            )  # fmt: skip
        for chat, chosen in ((1, None), (2, "2"), (3, "2,99")):
            await conn.execute(
                text("INSERT INTO subscriptions (chat_id, chat_type, active, digest_times, "
                     "timezone, frequency, max_articles, feed_ids, link_previews, created_at, "
                     "updated_at) VALUES (:chat, 'private', true, '08:00', 'UTC', 'daily', 10, "
                     ":ids, false, :now, :now)"),
                {"chat": chat, "ids": chosen, "now": NOW.replace(tzinfo=None)},
            )  # fmt: skip
        await conn.run_sync(migrate, "head")
    async with any_store.connect() as conn:
        rows = (await conn.execute(select(chat_sources.c.chat_id, chat_sources.c.feed_id))).all()
        keys = (await conn.execute(select(feeds.c.id, feeds.c.url_key, feeds.c.is_default))).all()
    assert sorted(rows) == [(1, 1), (1, 2), (1, 3), (2, 2), (3, 2)]
    assert sorted(keys) == [
        (1, "a.example/feed", True),
        (2, "b.example/rss", True),
        (3, None, True),  # the same feed as 1 spelled otherwise: kept, without a key
    ]

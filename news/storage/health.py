"""The numbers /healthz and /metrics report, read in one short transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from news.storage.db import Store
from news.storage.tables import articles, as_utc, feeds, outbox


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The state an operator watches."""

    last_success_at: datetime | None
    feeds_due: int
    feeds_failing: int
    unsummarized: int
    outbox_pending: int
    outbox_oldest_at: datetime | None


async def snapshot(store: Store, *, now: datetime) -> Snapshot:
    """Return the current operational numbers (raises the driver's error when the DB is down)."""
    async with store.connect() as conn:
        feed_row = (
            await conn.execute(
                select(
                    func.max(feeds.c.last_success_at),
                    func.count().filter(feeds.c.next_check_at <= now, feeds.c.enabled),
                    func.count().filter(feeds.c.error_count > 0),
                )
            )
        ).one()
        unsummarized = (
            await conn.execute(select(func.count()).where(articles.c.summarized_at.is_(None)))
        ).scalar_one()
        outbox_row = (
            await conn.execute(
                select(func.count(), func.min(outbox.c.created_at)).where(
                    outbox.c.status == "pending"
                )
            )
        ).one()
    return Snapshot(
        last_success_at=as_utc(feed_row[0]),
        feeds_due=feed_row[1],
        feeds_failing=feed_row[2],
        unsummarized=unsummarized,
        outbox_pending=outbox_row[0],
        outbox_oldest_at=as_utc(outbox_row[1]),
    )

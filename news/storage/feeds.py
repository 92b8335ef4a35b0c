"""Feeds: add, list, remove, and the claim query that hands due feeds to exactly one worker.

A worker claims due feeds by writing a lease (owner, until) on them in one statement; the lease
is cleared when the outcome is recorded, and a lease that outlives its worker simply expires.
PostgreSQL: the candidate rows are locked with `FOR UPDATE SKIP LOCKED`, so concurrent claimers
take disjoint batches without waiting on each other. SQLite: the same UPDATE runs as one write
transaction and SQLite serializes writers, so the second claimer sees the first one's leases.

No per-host cap at claim time: the fetcher already allows at most two requests at once per host,
and a cap here would need a host column and throttle setups where every feed is on one host.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from news.feedurl import url_key
from news.models import Feed
from news.storage.db import Store, insert_ignore
from news.storage.tables import UTCDateTime, chat_sources, feeds, subscriptions

log = logging.getLogger(__name__)

_FEED_COLUMNS = (
    feeds.c.id,
    feeds.c.url,
    feeds.c.title,
    feeds.c.site_url,
    feeds.c.etag,
    feeds.c.last_modified,
    feeds.c.next_check_at,
    feeds.c.last_checked_at,
    feeds.c.last_success_at,
    feeds.c.error_count,
    feeds.c.last_error,
    feeds.c.enabled,
    feeds.c.is_default,
    feeds.c.created_at,
)


def _feed(row: Row[*tuple[Any, ...]]) -> Feed:
    return Feed(
        id=row.id,
        url=row.url,
        title=row.title,
        site_url=row.site_url,
        etag=row.etag,
        last_modified=row.last_modified,
        next_check_at=row.next_check_at,
        last_checked_at=row.last_checked_at,
        last_success_at=row.last_success_at,
        error_count=row.error_count,
        last_error=row.last_error,
        enabled=bool(row.enabled),
        is_default=bool(row.is_default),
        created_at=row.created_at,
    )


async def add_feed(
    store: Store,
    url: str,
    *,
    now: datetime,
    title: str | None = None,
    next_check_at: datetime | None = None,
    default: bool = True,
) -> tuple[Feed, bool]:
    """Return the feed stored for `url` and whether this call created it (due at once or at
    `next_check_at`).

    One feed per news.feedurl key: another spelling of a known feed returns that feed. A
    `default` feed is one of the operator's: every subscriber gets it as a source (and can
    remove it), and so does every new subscriber; a chat adding a feed for itself passes False.
    """
    key = url_key(url)
    values = {
        "url": url,
        "url_key": key,
        "title": title,
        "enabled": True,
        "is_default": default,
        "next_check_at": next_check_at or now,
        "error_count": 0,
        "created_at": now,
    }
    stmt = insert_ignore(store.dialect, feeds, ["url_key"]).values(values).returning(feeds.c.id)
    async with store.begin() as conn:
        created = (await conn.execute(stmt)).first() is not None
        row = (await conn.execute(select(*_FEED_COLUMNS).where(feeds.c.url_key == key))).first()
        if row is None:  # a feed stored before migration 0007 under a spelling of its own
            row = (await conn.execute(select(*_FEED_COLUMNS).where(feeds.c.url == url))).one()
        if default and (created or not row.is_default):
            await conn.execute(update(feeds).where(feeds.c.id == row.id).values(is_default=True))
            await _give_everyone(conn, row.id, now)
            row = (await conn.execute(select(*_FEED_COLUMNS).where(feeds.c.id == row.id))).one()
    if created:
        log.info("feed added feed_id=%s url=%s default=%s", row.id, url, default)
    return _feed(row), created


async def _give_everyone(conn: AsyncConnection, feed_id: int, now: datetime) -> None:
    """Make a new default feed a source of every subscribed chat (as "all feeds" did)."""
    # The WHERE is SQLite's: INSERT ... SELECT ... ON CONFLICT needs one to parse.
    chats = select(
        subscriptions.c.chat_id, literal(feed_id), literal(False), literal(now, UTCDateTime)
    ).where(true())
    stmt = insert_ignore(conn.dialect.name, chat_sources, ["chat_id", "feed_id"])
    await conn.execute(stmt.from_select(["chat_id", "feed_id", "digest_only", "added_at"], chats))


async def move_url(store: Store, feed_id: int, url: str) -> bool:
    """Give a feed its new URL (it moved permanently); False when another feed has that URL."""
    key = url_key(url)
    async with store.begin() as conn:
        taken = select(feeds.c.id).where(
            or_(feeds.c.url == url, feeds.c.url_key == key), feeds.c.id != feed_id
        )
        if (await conn.execute(taken)).first() is not None:
            return False
        stmt = update(feeds).where(feeds.c.id == feed_id).values(url=url, url_key=key)
        await conn.execute(stmt)
    log.info("feed moved feed_id=%s url=%s", feed_id, url)
    return True


async def get_feed(store: Store, feed_id: int) -> Feed | None:
    """Return the feed with this id, or None."""
    async with store.connect() as conn:
        row = (await conn.execute(select(*_FEED_COLUMNS).where(feeds.c.id == feed_id))).first()
    return _feed(row) if row is not None else None


async def list_feeds(store: Store) -> list[Feed]:
    """Return every feed, in the order they were added."""
    async with store.connect() as conn:
        rows = (await conn.execute(select(*_FEED_COLUMNS).order_by(feeds.c.id))).all()
    return [_feed(row) for row in rows]


async def remove_feed(store: Store, feed_id: int) -> bool:
    """Return whether a feed was removed; its articles go with it (ON DELETE CASCADE)."""
    async with store.begin() as conn:
        result = await conn.execute(delete(feeds).where(feeds.c.id == feed_id))
    return result.rowcount > 0


async def claim_due_feeds(
    store: Store,
    *,
    now: datetime,
    limit: int,
    owner: str,
    lease_seconds: int,
    all_feeds: bool = False,
    due_by: datetime | None = None,
) -> list[Feed]:
    """Return up to `limit` due feeds, oldest due first, now leased to `owner`.

    Due means a next check at or before `due_by` (default `now`). With `all_feeds`, every
    enabled feed counts as due; a live lease still excludes a feed.
    """
    if limit <= 0:
        return []
    lease_free = or_(feeds.c.lease_until.is_(None), feeds.c.lease_until < now)
    candidates = select(feeds.c.id).where(feeds.c.enabled.is_(True), lease_free, in_use())
    if not all_feeds:
        candidates = candidates.where(feeds.c.next_check_at <= (due_by or now))
    # SQLite's compiler leaves FOR UPDATE out; PostgreSQL skips rows another claimer holds.
    candidates = (
        candidates.order_by(feeds.c.next_check_at, feeds.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    stmt = (
        update(feeds)
        # The lease check is repeated on the row itself: PostgreSQL re-evaluates it on the
        # newest row version when a concurrent claimer committed between snapshot and lock.
        .where(feeds.c.id.in_(candidates.scalar_subquery()), lease_free)
        .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease_seconds))
        .returning(*_FEED_COLUMNS)
    )
    async with store.begin() as conn:
        rows = (await conn.execute(stmt)).all()
    # RETURNING has no defined order.
    claimed = sorted((_feed(row) for row in rows), key=lambda f: (f.next_check_at, f.id))
    if claimed:
        log.debug("feeds claimed owner=%s count=%d", owner, len(claimed))
    return claimed


def in_use() -> ColumnElement[bool]:
    """Return the condition of a feed worth polling: a default one, or some chat's source.

    A feed nobody reads any more is not polled; it stays, with its articles, for search.
    """
    used = exists().where(chat_sources.c.feed_id == feeds.c.id)
    return or_(feeds.c.is_default.is_(True), used)


async def renew_lease(
    store: Store, feed_id: int, owner: str, *, now: datetime, lease_seconds: int
) -> None:
    """Extend `owner`'s lease on a feed it is still refreshing (nothing if the lease is gone)."""
    stmt = (
        update(feeds)
        .where(feeds.c.id == feed_id, feeds.c.lease_owner == owner)
        .values(lease_until=now + timedelta(seconds=lease_seconds))
    )
    async with store.begin() as conn:
        await conn.execute(stmt)


async def _finish(store: Store, feed_id: int, values: dict[str, object]) -> None:
    async with store.begin() as conn:
        await _finish_in(conn, feed_id, values)


async def _finish_in(conn: AsyncConnection, feed_id: int, values: dict[str, object]) -> None:
    values = {**values, "lease_owner": None, "lease_until": None}
    await conn.execute(update(feeds).where(feeds.c.id == feed_id).values(values))


async def record_success(
    store: Store,
    feed_id: int,
    *,
    now: datetime,
    next_check_at: datetime,
    etag: str | None,
    last_modified: str | None,
    title: str | None = None,
    site_url: str | None = None,
) -> None:
    """Store a successful poll: caching headers, next check, errors reset, lease released."""
    write = success_writer(
        feed_id,
        now=now,
        next_check_at=next_check_at,
        etag=etag,
        last_modified=last_modified,
        title=title,
        site_url=site_url,
    )
    async with store.begin() as conn:
        await write(conn)


def success_writer(
    feed_id: int,
    *,
    now: datetime,
    next_check_at: datetime,
    etag: str | None,
    last_modified: str | None,
    title: str | None = None,
    site_url: str | None = None,
) -> Callable[[AsyncConnection], Awaitable[None]]:
    """Return record_success as a write for another transaction (the one storing the entries)."""
    values: dict[str, object] = {
        "etag": etag,
        "last_modified": last_modified,
        "next_check_at": next_check_at,
        "last_checked_at": now,
        "last_success_at": now,
        "error_count": 0,
        "last_error": None,
    }
    # A feed that stops sending its title keeps the one we know.
    if title:
        values["title"] = title
    if site_url:
        values["site_url"] = site_url

    async def write(conn: AsyncConnection) -> None:
        await _finish_in(conn, feed_id, values)

    return write


async def record_not_modified(
    store: Store, feed_id: int, *, now: datetime, next_check_at: datetime
) -> None:
    """Store a 304 answer: only the next check moves; errors reset, lease released."""
    values: dict[str, object] = {
        "next_check_at": next_check_at,
        "last_checked_at": now,
        "last_success_at": now,
        "error_count": 0,
        "last_error": None,
    }
    await _finish(store, feed_id, values)


async def record_error(
    store: Store, feed_id: int, *, now: datetime, error: str, next_check_at: datetime
) -> None:
    """Store a failed poll: one more error, its message, the backed-off next check."""
    values: dict[str, object] = {
        "error_count": feeds.c.error_count + 1,
        "last_error": error,
        "next_check_at": next_check_at,
        "last_checked_at": now,
    }
    await _finish(store, feed_id, values)


async def release_lease(store: Store, feed_id: int, owner: str) -> None:
    """Give a claimed feed back untouched (only if `owner` still holds it)."""
    stmt = (
        update(feeds)
        .where(feeds.c.id == feed_id, feeds.c.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
    )
    async with store.begin() as conn:
        await conn.execute(stmt)


async def feed_counts(store: Store, *, now: datetime) -> dict[str, int]:
    """Return how many feeds there are: total, failing (errors > 0), enabled, due."""
    stmt = select(
        func.count(),
        func.count().filter(feeds.c.error_count > 0),
        func.count().filter(feeds.c.enabled.is_(True)),
        func.count().filter(feeds.c.enabled.is_(True), feeds.c.next_check_at <= now),
    )
    async with store.connect() as conn:
        total, failing, enabled, due = (await conn.execute(stmt)).one()
    return {"total": total, "failing": failing, "enabled": enabled, "due": due}


async def make_all_due(store: Store, *, now: datetime) -> int:
    """Make every enabled feed due now (`poll --all`); return how many were moved forward."""
    stmt = (
        update(feeds)
        .where(feeds.c.enabled.is_(True), feeds.c.next_check_at > now)
        .values(next_check_at=now)
    )
    async with store.begin() as conn:
        return (await conn.execute(stmt)).rowcount

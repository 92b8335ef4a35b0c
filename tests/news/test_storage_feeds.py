"""Feeds storage: idempotent add, the claim query with leases, recorded outcomes, counts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from news.models import ParsedEntry
from news.storage import articles as article_store
from news.storage import feeds as feed_store
from news.storage.db import Store, make_store

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


async def add_feeds(store: Store, count: int, *, now: datetime = NOW) -> list[int]:
    ids = []
    for i in range(count):
        feed, _ = await feed_store.add_feed(store, f"https://example.com/{i}.xml", now=now)
        ids.append(feed.id)
    return ids


@pytest.fixture
async def second_store(any_store: Store) -> AsyncIterator[Store]:
    """Another engine (another worker) on the same database."""
    other = make_store(any_store.engine.url.render_as_string(hide_password=False))
    yield other
    await other.close()


async def test_add_feed_is_idempotent_on_url(any_store: Store) -> None:
    feed, created = await feed_store.add_feed(
        any_store, "https://example.com/a.xml", now=NOW, title="A"
    )
    again, created_again = await feed_store.add_feed(
        any_store, "https://example.com/a.xml", now=NOW + timedelta(hours=1)
    )
    assert created
    assert not created_again
    assert again == feed
    assert feed.title == "A"
    assert feed.next_check_at == NOW
    assert feed.enabled
    assert await feed_store.list_feeds(any_store) == [feed]
    assert await feed_store.get_feed(any_store, feed.id) == feed
    assert await feed_store.get_feed(any_store, feed.id + 1) is None


async def test_remove_feed_removes_its_articles(any_store: Store) -> None:
    feed_id, other_id = await add_feeds(any_store, 2)
    entry = ParsedEntry(entry_hash="h1", title="Hello", text="World")
    await article_store.upsert_articles(any_store, feed_id, [entry], now=NOW)
    await article_store.upsert_articles(any_store, other_id, [entry], now=NOW)

    assert await feed_store.remove_feed(any_store, feed_id)
    assert not await feed_store.remove_feed(any_store, feed_id)
    assert [f.id for f in await feed_store.list_feeds(any_store)] == [other_id]
    assert (await article_store.article_counts(any_store))["total"] == 1


async def test_claim_returns_due_feeds_oldest_first_and_leases_them(any_store: Store) -> None:
    late, early, future = await add_feeds(any_store, 3)
    await feed_store.record_not_modified(
        any_store, late, now=NOW, next_check_at=NOW - timedelta(minutes=1)
    )
    await feed_store.record_not_modified(
        any_store, early, now=NOW, next_check_at=NOW - timedelta(minutes=5)
    )
    await feed_store.record_not_modified(
        any_store, future, now=NOW, next_check_at=NOW + timedelta(hours=1)
    )

    claimed = await feed_store.claim_due_feeds(
        any_store, now=NOW, limit=10, owner="w1", lease_seconds=60
    )
    assert [f.id for f in claimed] == [early, late]
    again = await feed_store.claim_due_feeds(
        any_store, now=NOW, limit=10, owner="w2", lease_seconds=60
    )
    assert again == []


async def test_expired_leases_are_claimable_again(any_store: Store) -> None:
    ids = await add_feeds(any_store, 2)
    first = await feed_store.claim_due_feeds(
        any_store, now=NOW, limit=10, owner="dead", lease_seconds=60
    )
    assert [f.id for f in first] == ids

    still_held = await feed_store.claim_due_feeds(
        any_store, now=NOW + timedelta(seconds=59), limit=10, owner="w2", lease_seconds=60
    )
    after_expiry = await feed_store.claim_due_feeds(
        any_store, now=NOW + timedelta(seconds=61), limit=10, owner="w2", lease_seconds=60
    )
    assert still_held == []
    assert [f.id for f in after_expiry] == ids


async def test_all_feeds_ignores_schedule_but_not_live_leases(any_store: Store) -> None:
    held, *others = await add_feeds(any_store, 3)
    for feed_id in (held, *others):
        await feed_store.record_not_modified(
            any_store, feed_id, now=NOW, next_check_at=NOW + timedelta(hours=2)
        )
    none_due = await feed_store.claim_due_feeds(
        any_store, now=NOW, limit=10, owner="w1", lease_seconds=60
    )
    leased = await feed_store.claim_due_feeds(
        any_store, now=NOW, limit=1, owner="w1", lease_seconds=600, all_feeds=True
    )
    everything = await feed_store.claim_due_feeds(
        any_store, now=NOW, limit=10, owner="w2", lease_seconds=600, all_feeds=True
    )
    assert none_due == []
    assert [f.id for f in leased] == [held]
    assert [f.id for f in everything] == others


async def test_limit_caps_the_batch(any_store: Store) -> None:
    ids = await add_feeds(any_store, 5)
    claimed = await feed_store.claim_due_feeds(
        any_store, now=NOW, limit=2, owner="w1", lease_seconds=60
    )
    rest = await feed_store.claim_due_feeds(
        any_store, now=NOW, limit=10, owner="w2", lease_seconds=60
    )
    assert [f.id for f in claimed] == ids[:2]
    assert [f.id for f in rest] == ids[2:]


async def test_concurrent_claimers_never_share_a_feed(
    any_store: Store, second_store: Store
) -> None:
    await add_feeds(any_store, 60)

    async def worker(store: Store, owner: str) -> list[int]:
        got: list[int] = []
        for _ in range(8):
            batch = await feed_store.claim_due_feeds(
                store, now=NOW, limit=5, owner=owner, lease_seconds=300
            )
            got += [f.id for f in batch]
        return got

    a, b, c = await asyncio.gather(
        worker(any_store, "a"), worker(second_store, "b"), worker(any_store, "c")
    )
    assert not set(a) & set(b)
    assert not set(a) & set(c)
    assert not set(b) & set(c)
    assert len(a) + len(b) + len(c) == 60


async def test_release_lease_only_by_its_owner(any_store: Store) -> None:
    (feed_id,) = await add_feeds(any_store, 1)
    await feed_store.claim_due_feeds(any_store, now=NOW, limit=1, owner="w1", lease_seconds=60)
    await feed_store.release_lease(any_store, feed_id, "intruder")
    assert (
        await feed_store.claim_due_feeds(any_store, now=NOW, limit=1, owner="w2", lease_seconds=60)
        == []
    )
    await feed_store.release_lease(any_store, feed_id, "w1")
    reclaimed = await feed_store.claim_due_feeds(
        any_store, now=NOW, limit=1, owner="w2", lease_seconds=60
    )
    assert [f.id for f in reclaimed] == [feed_id]


async def test_outcomes_update_the_feed_and_release_the_lease(any_store: Store) -> None:
    (feed_id,) = await add_feeds(any_store, 1)
    later = NOW + timedelta(minutes=30)

    await feed_store.claim_due_feeds(any_store, now=NOW, limit=1, owner="w", lease_seconds=60)
    await feed_store.record_error(
        any_store, feed_id, now=NOW, error="fetch: timed out after 10s", next_check_at=NOW
    )
    await feed_store.claim_due_feeds(any_store, now=NOW, limit=1, owner="w", lease_seconds=60)
    await feed_store.record_error(
        any_store, feed_id, now=NOW, error="fetch: HTTP 500", next_check_at=later
    )
    failing = await feed_store.get_feed(any_store, feed_id)
    assert failing is not None
    assert failing.error_count == 2
    assert failing.last_error == "fetch: HTTP 500"
    assert failing.next_check_at == later
    assert failing.last_success_at is None
    assert await feed_store.feed_counts(any_store, now=NOW) == {
        "total": 1,
        "failing": 1,
        "enabled": 1,
        "due": 0,
    }

    await feed_store.record_success(
        any_store,
        feed_id,
        now=later,
        next_check_at=later + timedelta(hours=1),
        etag='"v1"',
        last_modified="Sat, 01 Mar 2025 12:00:00 GMT",
        title="Example News",
        site_url="https://example.com/",
    )
    ok = await feed_store.get_feed(any_store, feed_id)
    assert ok is not None
    assert (ok.error_count, ok.last_error) == (0, None)
    assert (ok.etag, ok.title, ok.site_url) == ('"v1"', "Example News", "https://example.com/")
    assert ok.last_success_at == later
    assert ok.last_checked_at == later

    await feed_store.record_success(
        any_store, feed_id, now=later, next_check_at=later, etag=None, last_modified=None
    )
    kept = await feed_store.get_feed(any_store, feed_id)
    assert kept is not None
    assert kept.title == "Example News"
    # The lease was released by each record_*: the feed is claimable at once.
    assert await feed_store.claim_due_feeds(
        any_store, now=later, limit=1, owner="w", lease_seconds=60
    )


async def test_record_not_modified_resets_errors(any_store: Store) -> None:
    (feed_id,) = await add_feeds(any_store, 1)
    await feed_store.record_error(any_store, feed_id, now=NOW, error="x", next_check_at=NOW)
    await feed_store.record_not_modified(
        any_store, feed_id, now=NOW, next_check_at=NOW + timedelta(hours=1)
    )
    feed = await feed_store.get_feed(any_store, feed_id)
    assert feed is not None
    assert feed.error_count == 0
    assert feed.last_success_at == NOW
    assert feed.next_check_at == NOW + timedelta(hours=1)

"""Teasers stored at once, article pages completed in later rounds: a real server and database."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from harness.feedserver import FeedServer
from jobs.poll import poll_due_feeds
from jobs.summarize import summarize_pending
from news.digests import Digests
from news.fetch import Fetcher
from news.pages import complete_pages
from news.settings import Settings
from news.storage import feeds as feed_store
from news.storage.db import Store, open_store
from news.storage.tables import articles
from tests.teasers import page_path, serve_teasers

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


async def rows_by_guid(store: Store) -> dict[str, dict]:
    stmt = select(
        articles.c.guid, articles.c.text_source, articles.c.page_pending, articles.c.summary
    )
    async with store.connect() as conn:
        rows = (await conn.execute(stmt)).mappings().all()
    return {row["guid"]: dict(row) for row in rows}


def completed(rows: dict[str, dict]) -> set[int]:
    return {int(g.removeprefix("teaser-")) for g, r in rows.items() if r["text_source"] == "page"}


@pytest.mark.slow  # 5,000 entries and their pages
async def test_a_5000_teaser_feed_is_stored_in_one_poll_and_completed_newest_first(
    any_store: Store, settings: Settings, feed_server: FeedServer
) -> None:
    url = serve_teasers(feed_server, 5000, delay=0.005)
    await feed_store.add_feed(any_store, url, now=NOW)
    settings = settings.model_copy(update={"pages_per_round": 40})
    async with Fetcher(settings) as fetcher:
        report = await poll_due_feeds(any_store, fetcher, settings, now=lambda: NOW)
        rows = await rows_by_guid(any_store)
        assert (report.new_articles, report.pages, len(rows)) == (5000, 40, 5000)
        assert completed(rows) == set(range(40))  # item 0 is the newest
        again = await complete_pages(any_store, fetcher, settings, now=lambda: NOW)
    rows = await rows_by_guid(any_store)
    assert again == 40
    assert completed(rows) == set(range(80))
    assert sum(r["page_pending"] for r in rows.values()) == 5000 - 80
    # Only completed articles are summarized and shown; the teasers wait for their page.
    assert await summarize_pending(any_store, settings, now=lambda: NOW) == 80
    digest = await Digests(any_store).make(
        since=NOW - timedelta(days=1), until=NOW, feed_ids=None, limit=100
    )
    assert {item.title for item in digest.items} == {f"Story {i}" for i in range(80)}
    assert all(item.summary for item in digest.items)
    assert [feed_server.count(page_path(i)) for i in range(81)] == [1] * 80 + [0]
    # Four pages at once (EXTRACT_CONCURRENCY), but never more than the per-host cap here.
    assert feed_server.max_in_flight() <= settings.per_host_concurrency


async def test_a_page_that_cannot_be_had_keeps_its_teaser_and_is_summarized(
    any_store: Store, settings: Settings, feed_server: FeedServer
) -> None:
    url = serve_teasers(feed_server, 3)
    feed_server.add(page_path(1), b"gone", status=404)
    await feed_store.add_feed(any_store, url, now=NOW)
    async with Fetcher(settings) as fetcher:
        report = await poll_due_feeds(any_store, fetcher, settings, now=lambda: NOW)
    rows = await rows_by_guid(any_store)
    assert report.pages == 3
    assert [rows[f"teaser-{i}"]["text_source"] for i in range(3)] == ["page", "feed", "page"]
    assert not any(r["page_pending"] for r in rows.values())
    assert await summarize_pending(any_store, settings, now=lambda: NOW) == 3


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, settings: Settings) -> str:
    """The URL of a fresh SQLite file or PostgreSQL database, for two workers to open."""
    if request.param == "sqlite":
        return settings.database_url
    return request.getfixturevalue("pg_url")  # type: ignore[no-any-return]


@pytest.mark.slow  # it waits out a real 10 s lease
async def test_two_workers_with_a_10_second_lease_fetch_each_page_once(
    database_url: str, settings: Settings, feed_server: FeedServer
) -> None:
    stores = [await open_store(database_url), await open_store(database_url)]
    # Page 5 takes longer than a lease: its worker renews the lease, the other must not take it.
    feed = serve_teasers(feed_server, 200, delay=0.01, slow={5: 13.0})
    settings = settings.model_copy(
        update={"lease_seconds": 10, "pages_per_round": 1000, "read_timeout": 20.0}
    )
    try:
        await feed_store.add_feed(stores[0], feed, now=datetime.now(UTC))
        async with Fetcher(settings) as one, Fetcher(settings) as two:
            done = await asyncio.gather(
                poll_due_feeds(stores[0], one, settings),
                _ticking_worker(stores[1], two, settings),
            )
        rows = await rows_by_guid(stores[0])
    finally:
        for store in stores:
            await store.close()
    assert done[0].new_articles == 200
    assert done[0].pages > 0
    assert done[1] > 0
    assert done[0].pages + done[1] == 200
    assert completed(rows) == set(range(200))
    requests = Counter(feed_server.count(page_path(i)) for i in range(200))
    assert requests == {1: 200}


async def _ticking_worker(store: Store, fetcher: Fetcher, settings: Settings) -> int:
    """The second worker: page rounds on every tick until no page waits; returns its pages."""
    done = 0
    while not await rows_by_guid(store) or await _pages_waiting(store):
        done += await complete_pages(store, fetcher, settings)
        await asyncio.sleep(0.2)  # the worker's tick (poll_tick), not a synchronization
    return done


async def _pages_waiting(store: Store) -> bool:
    return any(r["page_pending"] for r in (await rows_by_guid(store)).values())

"""A worker SIGKILLed while it completes the pages of a 5,000-teaser feed loses no entry."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from bench.procs import role_env, wait_until
from news.pages import EXTRACT_CONCURRENCY
from news.settings import Settings
from news.storage.db import Store
from news.storage.tables import articles
from tests.faults.conftest import Spawn
from tests.faults.helpers import add_feeds, stored_stories
from tests.servers import FeedServer
from tests.teasers import page_path, serve_teasers

ITEMS = 5000


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, settings: Settings) -> tuple[Store, str]:
    """A fresh SQLite or PostgreSQL database: the test's store and the URL workers open."""
    if request.param == "sqlite":
        return request.getfixturevalue("store"), settings.database_url
    return request.getfixturevalue("pg_store"), request.getfixturevalue("pg_url")


async def test_a_killed_worker_keeps_every_entry_and_the_next_one_carries_on(
    database: tuple[Store, str], spawn: Spawn
) -> None:
    store, database_url = database
    with FeedServer() as server:
        await add_feeds(store, [serve_teasers(server, ITEMS, delay=0.02)])
        env = role_env(
            database_url, lease_seconds=10, poll_tick=1, pages_per_round=100, summarize_processes=0
        )
        worker_a = spawn("worker-a", ["worker"], env)
        await wait_until(
            lambda: _pages_done(store, at_least=30), within=90, what="A completes pages"
        )
        worker_a.kill()
        before = await _pages_done(store, at_least=0)
        stored = await stored_stories(store)
        assert len(stored) == ITEMS  # every entry read before the kill is kept
        assert max(stored.values()) == 1

        worker_b = spawn("worker-b", ["worker"], env)
        await wait_until(
            lambda: _pages_done(store, at_least=before + 150),
            within=120,
            what="B completes more pages",
        )
        assert worker_b.alive()
        assert await stored_stories(store) == stored
        fetched = Counter(server.count(page_path(i)) for i in range(ITEMS))
    # Only the pages A had in flight when it died were fetched again (by B, once they expired).
    assert fetched[2] <= EXTRACT_CONCURRENCY
    assert set(fetched) <= {0, 1, 2}
    # The feed itself was read once: B found its entries stored and the feed not due.
    assert server.count("/teasers/feed.xml") == 1


async def _pages_done(store: Store, *, at_least: int) -> int:
    """Return how many articles got their page once that is at least `at_least`, else 0."""
    stmt = select(func.count()).where(articles.c.text_source == "page")
    async with store.connect() as conn:
        done = int((await conn.execute(stmt)).scalar_one())
    return done if done >= at_least else 0

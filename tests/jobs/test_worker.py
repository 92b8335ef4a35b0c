"""`newsbot worker`'s scheduler: the due feeds polled and summarized without anyone asking."""

from __future__ import annotations

from datetime import UTC, datetime

from harness.feedserver import FeedServer
from news.settings import Settings
from news.storage import articles as article_store
from news.storage import feeds as feed_store
from news.storage.db import Store
from tests.jobs.helpers import run_worker_until_summarized


async def test_the_worker_polls_and_summarizes_on_its_own(
    store: Store, settings: Settings, feed_server: FeedServer
) -> None:
    await feed_store.add_feed(store, feed_server.url("/feeds/atom.xml"), now=datetime.now(UTC))
    await run_worker_until_summarized(store, settings, seconds=10)
    counts = await article_store.article_counts(store)
    assert counts["total"] > 0
    assert counts["unsummarized"] == 0
    assert feed_server.count("/feeds/atom.xml") == 1

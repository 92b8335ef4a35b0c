"""Summaries made in summarizer processes: the same as in a thread, nothing lost when one dies."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from harness.feedserver import FeedServer
from jobs.poll import poll_due_feeds
from jobs.summarize import Summarizer, summarize_article, summarize_pending
from news.fetch import Fetcher
from news.models import Article, ParsedEntry
from news.settings import Settings
from news.storage import articles as article_store
from news.storage import feeds as feed_store
from news.storage.db import Store
from tests.jobs.helpers import run_worker_until_summarized

SEEDS = Path(__file__).resolve().parents[2] / "seeds" / "articles"
START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
async def summarizer() -> AsyncIterator[Summarizer]:
    """One summarizer process, stopped after the test."""
    s = Summarizer(1)
    yield s
    await s.close()


async def stored_articles(store: Store) -> list[Article]:
    """Store the seed articles in one feed; return them as the summarizer will read them."""
    feed, _ = await feed_store.add_feed(store, "https://example.org/feed.xml", now=START)
    entries = [
        ParsedEntry(
            entry_hash=path.stem,
            title=path.stem.replace("-", " ").title(),
            url=f"https://example.org/{path.stem}",
            text=path.read_text(encoding="utf-8"),
        )
        for path in sorted(SEEDS.glob("*.expected.txt"))
    ]
    await article_store.upsert_articles(store, feed.id, entries, now=START)
    stored = [await article_store.get_article(store, i) for i in range(1, len(entries) + 1)]
    return [a for a in stored if a is not None]


async def summaries(store: Store, ids: list[int]) -> dict[int, tuple[str | None, str | None]]:
    """Return each article's stored (summary, language)."""
    found = [await article_store.get_article(store, i) for i in ids]
    return {a.id: (a.summary, a.language) for a in found if a is not None}


async def test_summaries_from_a_process_equal_those_made_in_a_thread(
    store: Store, settings: Settings, summarizer: Summarizer
) -> None:
    articles = await stored_articles(store)
    expected = {a.id: summarize_article(a, settings) for a in articles}

    made = await summarize_pending(store, settings, summarizer=summarizer, now=lambda: START)

    assert made == len(articles) >= 3
    assert await summaries(store, list(expected)) == expected
    assert all(summary for summary, _ in expected.values())


async def test_a_killed_summarizer_process_loses_no_article(
    store: Store, settings: Settings, summarizer: Summarizer, caplog: pytest.LogCaptureFixture
) -> None:
    articles = await stored_articles(store)
    loop = asyncio.get_running_loop()
    child = await loop.run_in_executor(summarizer.executor, os.getpid)
    os.kill(child, signal.SIGKILL)

    first = await summarize_pending(store, settings, summarizer=summarizer, now=lambda: START)
    # The batch the dead process held is leased; once the lease expires, the new process
    # summarizes it.
    later = START + timedelta(seconds=settings.lease_seconds + 1)
    second = await summarize_pending(store, settings, summarizer=summarizer, now=lambda: later)

    assert first == 0
    assert second == len(articles)
    expected = {a.id: summarize_article(a, settings) for a in articles}
    assert await summaries(store, list(expected)) == expected
    assert "summarizer process died" in caplog.text
    assert await loop.run_in_executor(summarizer.executor, os.getpid) != child


async def test_a_worker_with_summarizer_processes_stops_cleanly(
    store: Store, settings: Settings, feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings.model_copy(update={"summarize_processes": 1})
    before = set(multiprocessing.active_children())
    await feed_store.add_feed(store, feed_server.url("/feeds/atom.xml"), now=datetime.now(UTC))
    caplog.set_level(logging.INFO)
    await run_worker_until_summarized(store, settings, seconds=20, stop_within=30)
    counts = await article_store.article_counts(store)
    assert counts["total"] > 0
    assert counts["unsummarized"] == 0
    assert "worker stopped" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert set(multiprocessing.active_children()) <= before  # no summarizer process left


async def test_feeds_parsed_in_the_parse_process_and_after_it_is_killed(
    store: Store,
    settings: Settings,
    feed_server: FeedServer,
    summarizer: Summarizer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for name in ("rss2.xml", "atom.xml"):
        await feed_store.add_feed(store, feed_server.url(f"/feeds/{name}"), now=START)
    loop = asyncio.get_running_loop()
    parser = summarizer.parser()
    child = await loop.run_in_executor(parser, os.getpid)
    os.kill(child, signal.SIGKILL)

    async with Fetcher(settings) as fetcher:
        # The dead process's work is done in threads: no feed fails for it.
        report = await poll_due_feeds(store, fetcher, settings, executor=parser)
        replaced = summarizer.parser()
        again = await poll_due_feeds(store, fetcher, settings, all_feeds=True, executor=replaced)

    assert report.polled == 2
    assert not report.failed
    assert report.new_articles > 0
    assert "parse process died" in caplog.text
    assert await loop.run_in_executor(replaced, os.getpid) not in (child, os.getpid())
    assert again.polled == 2
    assert not again.failed

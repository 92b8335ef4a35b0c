"""refresh_feed and the poll cycle end to end: a real server, a real database, no mocks."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from harness.feedserver import FeedServer
from jobs.poll import poll_due_feeds
from jobs.summarize import summarize_pending
from news.fetch import Fetcher
from news.pages import complete_pages
from news.refresh import refresh_feed
from news.settings import Settings
from news.storage import feeds as feed_store
from news.storage.db import Store, open_store
from news.storage.tables import articles
from tests.conftest import DATA

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
SAMPLE = sorted(p for p in (DATA / "feeds").rglob("*") if p.is_file() and p.suffix != ".md")
SAMPLE = [p for p in SAMPLE if "LICENSES" not in p.parts]


async def add_and_refresh(store: Store, fetcher: Fetcher, settings: Settings, url: str):
    """Add the feed, refresh it, then run the article-page round its teasers wait for."""
    feed, _ = await feed_store.add_feed(store, url, now=NOW)
    result = await refresh_feed(store, fetcher, feed, settings, now=NOW)
    await complete_pages(store, fetcher, settings, now=lambda: NOW)
    stored = await feed_store.get_feed(store, feed.id)
    return result, stored


async def stored_articles(store: Store) -> list[dict]:
    async with store.connect() as conn:
        rows = (await conn.execute(select(articles).order_by(articles.c.id))).mappings().all()
    return [dict(r) for r in rows]


async def test_teasers_are_completed_from_the_article_page(
    store: Store, settings: Settings, feed_server: FeedServer
) -> None:
    async with Fetcher(settings) as fetcher:
        result, feed = await add_and_refresh(
            store, fetcher, settings, feed_server.url("/feeds/rss2.xml")
        )
    assert result.status == "ok"
    assert result.new_articles > 0
    rows = await stored_articles(store)
    quantum = next(r for r in rows if r["url"].endswith("/articles/quantum-chip.html"))
    expected = (Path("seeds/articles/quantum-chip.expected.txt")).read_text().split("\n")[0]
    assert quantum["text_source"] == "page"
    assert expected.strip() in quantum["text"]
    assert feed is not None
    assert feed.error_count == 0
    assert feed.last_success_at == NOW
    assert feed.next_check_at is not None
    assert feed.next_check_at > NOW


async def test_a_missing_article_page_keeps_the_teaser(
    store: Store, settings: Settings, feed_server: FeedServer
) -> None:
    rss = (Path("seeds/feeds/rss2.xml")).read_bytes().replace(b"quantum-chip.html", b"gone.html")
    url = feed_server.add("/feeds/moved/rss2.xml", rss, content_type="application/rss+xml")
    async with Fetcher(settings) as fetcher:
        result, _ = await add_and_refresh(store, fetcher, settings, url)
    assert result.status == "ok"
    rows = await stored_articles(store)
    gone = next(r for r in rows if r["url"].endswith("/gone.html"))
    assert gone["text_source"] == "feed"
    assert "Delft" in gone["text"]


async def test_a_second_poll_stores_nothing_twice(
    store: Store, settings: Settings, feed_server: FeedServer
) -> None:
    for name in ("rss2.xml", "atom.xml", "rdf.xml", "dup_guid.xml", "cp1251.xml"):
        await feed_store.add_feed(store, feed_server.url(f"/feeds/{name}"), now=NOW)
    async with Fetcher(settings) as fetcher:
        first = await poll_due_feeds(store, fetcher, settings, all_feeds=True, now=lambda: NOW)
        again = await poll_due_feeds(store, fetcher, settings, all_feeds=True, now=lambda: NOW)
    assert first.polled == again.polled == 5
    assert first.new_articles == len(await stored_articles(store))
    assert first.failed == []
    assert again.new_articles == 0
    # The file server answers If-None-Match / If-Modified-Since with 304.
    assert {r.status for r in again.results} == {"not_modified"}
    assert feed_server.last("/feeds/rss2.xml").headers.get("if-none-match")


async def test_a_cycle_ends_although_its_feeds_come_due_again_meanwhile(
    store: Store, settings: Settings, feed_server: FeedServer
) -> None:
    # Feeds checked every minute or two, and each step of the cycle takes "ten minutes": a
    # cycle that kept claiming whatever is due would never end (its report growing forever).
    settings = settings.model_copy(
        update={"min_check_interval": 60, "max_check_interval": 120, "lease_seconds": 86400}
    )
    for name in ("rss2.xml", "atom.xml", "rdf.xml"):
        await feed_store.add_feed(store, feed_server.url(f"/feeds/{name}"), now=NOW)
    steps = iter(range(1, 200))

    def clock() -> datetime:
        return NOW + timedelta(minutes=10 * next(steps))

    async with Fetcher(settings) as fetcher:
        first = await poll_due_feeds(store, fetcher, settings, now=clock)
        again = await poll_due_feeds(store, fetcher, settings, now=clock)
    assert (first.polled, again.polled) == (3, 3)
    assert sorted(r.feed_id for r in first.results) == sorted(r.feed_id for r in again.results)


async def test_a_feed_with_a_changed_body_but_the_same_items_stores_nothing(
    store: Store, settings: Settings, feed_server: FeedServer
) -> None:
    body = Path("seeds/feeds/atom.xml").read_bytes()
    url = feed_server.add("/a.xml", body, content_type="application/atom+xml")
    async with Fetcher(settings) as fetcher:
        first, _ = await add_and_refresh(store, fetcher, settings, url)
        feed_server.add(
            "/a.xml", body + b"\n<!-- changed -->", content_type="application/atom+xml"
        )
        feed = await feed_store.get_feed(store, first.feed_id)
        assert feed is not None
        again = await refresh_feed(store, fetcher, feed, settings, now=NOW)
    assert first.new_articles > 0
    assert (again.status, again.new_articles) == ("ok", 0)


async def test_failing_feeds_back_off_and_say_why(
    store: Store, settings: Settings, feed_server: FeedServer
) -> None:
    url = feed_server.add("/busy.xml", b"", status=503, headers={"Retry-After": "7200"})
    async with Fetcher(settings) as fetcher:
        result, feed = await add_and_refresh(store, fetcher, settings, url)
    assert result.status == "error"
    assert result.error is not None
    assert result.error.startswith("fetch: HTTP 503")
    assert feed is not None
    assert feed.error_count == 1
    assert feed.last_error == result.error
    assert feed.next_check_at is not None
    assert feed.next_check_at >= NOW + timedelta(hours=2)
    # Not due again: the next cycle does not retry it in a tight loop.
    async with Fetcher(settings) as fetcher:
        report = await poll_due_feeds(store, fetcher, settings, now=lambda: NOW)
    assert report.polled == 0


async def test_two_workers_never_poll_one_feed_at_once(
    pg_url: str, settings: Settings, feed_server: FeedServer
) -> None:
    stores = [await open_store(pg_url), await open_store(pg_url)]
    paths = [f"/slow/{i}.xml" for i in range(12)]
    body = Path("seeds/feeds/atom.xml").read_bytes()
    for path in paths:
        feed_server.add(path, body, delay=0.2, content_type="application/atom+xml")
        await feed_store.add_feed(stores[0], feed_server.url(path), now=NOW)
    small = settings.model_copy(update={"poll_concurrency": 3})
    try:
        async with Fetcher(small) as one, Fetcher(small) as two:
            reports = await asyncio.gather(
                poll_due_feeds(stores[0], one, small, now=lambda: NOW),
                poll_due_feeds(stores[1], two, small, now=lambda: NOW),
            )
    finally:
        for s in stores:
            await s.close()
    assert sum(r.polled for r in reports) == len(paths)
    assert all(r.polled > 0 for r in reports)
    assert [feed_server.count(p) for p in paths] == [1] * len(paths)


@pytest.fixture(scope="module")
def sample_server():
    with FeedServer(DATA / "feeds") as server:
        yield server


@pytest.mark.slow  # hundreds of real-world feeds, one after another
async def test_every_sample_feed_goes_through_fetch_parse_store(
    store: Store, settings: Settings, sample_server: FeedServer
) -> None:
    """A robustness pass over real-world and malformed feeds (see tests/data/feeds/README.md)."""
    outcomes: dict[str, int] = {"ok": 0, "error": 0}
    async with Fetcher(settings) as fetcher:
        for path in SAMPLE:
            relative = path.relative_to(DATA / "feeds").as_posix()
            result, feed = await add_and_refresh(
                store, fetcher, settings, sample_server.url("/" + relative)
            )
            outcomes[result.status] += 1
            if result.status == "error":
                assert result.error is not None
                assert result.error.split(":")[0] in {"parse", "fetch"}, (relative, result.error)
                assert feed is not None
                assert feed.error_count == 1
    assert outcomes["ok"] > len(SAMPLE) // 2
    assert sum(outcomes.values()) == len(SAMPLE)


def rss(title: str) -> bytes:
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>"
        "<link>https://example.com/</link><item><guid>story-1</guid>"
        f"<title>{title}</title><link>https://example.com/1</link>"
        "<description>A volcano erupted on Tuesday. Flights were cancelled. "
        "Residents left their homes.</description></item></channel></rss>"
    ).encode()


async def test_a_corrected_story_is_stored_again_and_summarized_again(
    store: Store, settings: Settings, feed_server: FeedServer
) -> None:
    url = feed_server.add("/c.xml", rss("Volcano erupts"), content_type="application/rss+xml")
    async with Fetcher(settings) as fetcher:
        first, _ = await add_and_refresh(store, fetcher, settings, url)
        await summarize_pending(store, settings)
        feed_server.add("/c.xml", rss("Volcano erupts again"), content_type="application/rss+xml")
        feed = await feed_store.get_feed(store, first.feed_id)
        assert feed is not None
        again = await refresh_feed(store, fetcher, feed, settings, now=NOW)
    [row] = await stored_articles(store)
    assert (first.new_articles, again.new_articles) == (1, 0)
    assert row["title"] == "Volcano erupts again"
    assert row["summary"] is None  # to be summarized again


def one_item(link: str = "https://example.com/1") -> bytes:
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>"
        f"<item><guid>a</guid><title>Story</title><link>{link}</link>"
        "<description>Text of the story. Another sentence.</description></item>"
        "</channel></rss>"
    ).encode()


async def test_odd_headers_do_not_stop_a_feed(
    store: Store, settings: Settings, feed_server: FeedServer
) -> None:
    # A non-ASCII ETag cannot be sent back; a Retry-After of 300,000 years cannot be honoured.
    url = feed_server.add(
        "/odd.xml",
        one_item(),
        content_type="application/rss+xml",
        headers={"ETag": '"caf\xe9"', "Retry-After": "9999999999999"},
    )
    async with Fetcher(settings) as fetcher:
        first, feed = await add_and_refresh(store, fetcher, settings, url)
        assert feed is not None
        again = await refresh_feed(store, fetcher, feed, settings, now=NOW)
    assert (first.status, again.status) == ("ok", "ok")
    assert first.next_check_at is not None
    assert first.next_check_at <= NOW + timedelta(seconds=settings.max_check_interval)


async def test_an_absurdly_long_link_is_dropped_not_the_article(
    any_store: Store, settings: Settings, feed_server: FeedServer
) -> None:
    link = "https://example.com/" + secrets.token_hex(3000)
    url = feed_server.add("/long.xml", one_item(link), content_type="application/rss+xml")
    async with Fetcher(settings) as fetcher:
        result, _ = await add_and_refresh(any_store, fetcher, settings, url)
    assert (result.status, result.new_articles) == ("ok", 1)
    [row] = await stored_articles(any_store)
    assert row["url"] is None


@pytest.mark.slow  # it waits out a real 10 s lease
async def test_a_feed_slower_than_its_lease_is_polled_by_one_worker(
    pg_url: str, settings: Settings, feed_server: FeedServer
) -> None:
    # 13 s for the feed, a 10 s lease: the worker polling it renews the lease meanwhile.
    body = Path("seeds/feeds/atom.xml").read_bytes()
    url = feed_server.add("/slow.xml", body, delay=13.0, content_type="application/atom+xml")
    settings = settings.model_copy(update={"lease_seconds": 10, "read_timeout": 20.0})
    stores = [await open_store(pg_url), await open_store(pg_url)]
    try:
        feed, _ = await feed_store.add_feed(stores[0], url, now=datetime.now(UTC))
        async with Fetcher(settings) as one, Fetcher(settings) as two:
            await asyncio.gather(
                poll_until_polled(stores[0], one, settings, feed.id),
                poll_until_polled(stores[1], two, settings, feed.id),
            )
    finally:
        for s in stores:
            await s.close()
    assert feed_server.count("/slow.xml") == 1


async def poll_until_polled(store: Store, fetcher: Fetcher, settings: Settings, feed_id: int):
    """A worker's poll ticks, until the feed has been polled (by this worker or another)."""
    while True:
        await poll_due_feeds(store, fetcher, settings)
        feed = await feed_store.get_feed(store, feed_id)
        if feed is not None and feed.last_success_at is not None:
            return
        await asyncio.sleep(0.2)  # the worker's tick (poll_tick), not a synchronization

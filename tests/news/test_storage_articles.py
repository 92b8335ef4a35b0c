"""Articles storage: idempotent upsert, changed entries, summary leases, windows and counts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from news.models import ParsedEntry
from news.storage import articles as article_store
from news.storage import feeds as feed_store
from news.storage.db import Store

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def entry(n: int, **changes: object) -> ParsedEntry:
    fields: dict[str, object] = {
        "entry_hash": f"hash-{n}",
        "title": f"Story number {n}",
        "url": f"https://example.com/story/{n}",
        "guid": f"guid-{n}",
        "author": "Reporter",
        "published_at": NOW - timedelta(hours=n),
        "text": f"The full text of story {n}. It has two sentences.",
    }
    fields.update(changes)
    return ParsedEntry(**fields)  # type: ignore[arg-type]


async def new_feed(store: Store, name: str = "a", title: str | None = "Example") -> int:
    feed, _ = await feed_store.add_feed(
        store, f"https://example.com/{name}.xml", now=NOW, title=title
    )
    return feed.id


async def test_polling_the_same_entries_twice_stores_them_once(any_store: Store) -> None:
    feed_id = await new_feed(any_store)
    entries = [entry(n) for n in range(1, 6)]
    assert await article_store.upsert_articles(any_store, feed_id, entries, now=NOW) == 5
    later = NOW + timedelta(hours=1)
    assert await article_store.upsert_articles(any_store, feed_id, entries, now=later) == 0
    assert await article_store.article_counts(any_store) == {"total": 5, "unsummarized": 5}
    stored = await article_store.articles_between(
        any_store, since=NOW - timedelta(days=1), until=later
    )
    assert [a.fetched_at for a in stored] == [NOW] * 5


async def test_duplicate_hashes_in_one_batch_are_stored_once(any_store: Store) -> None:
    feed_id = await new_feed(any_store)
    assert await article_store.upsert_articles(any_store, feed_id, [entry(1), entry(1)], now=NOW)
    assert (await article_store.article_counts(any_store))["total"] == 1


async def test_the_same_entry_in_two_feeds_is_two_articles(any_store: Store) -> None:
    a, b = await new_feed(any_store, "a"), await new_feed(any_store, "b")
    await article_store.upsert_articles(any_store, a, [entry(1)], now=NOW)
    assert await article_store.upsert_articles(any_store, b, [entry(1)], now=NOW) == 1


async def test_known_hashes(any_store: Store) -> None:
    feed_id = await new_feed(any_store)
    other = await new_feed(any_store, "b")
    await article_store.upsert_articles(any_store, feed_id, [entry(1), entry(2)], now=NOW)
    asked = ["hash-1", "hash-2", "hash-3"]
    assert await article_store.known_hashes(any_store, feed_id, asked) == {"hash-1", "hash-2"}
    assert await article_store.known_hashes(any_store, other, asked) == set()
    assert await article_store.known_hashes(any_store, feed_id, []) == set()
    many = [f"hash-{n}" for n in range(1200)]
    assert await article_store.known_hashes(any_store, feed_id, many) == {"hash-1", "hash-2"}


async def test_a_changed_entry_is_updated_and_summarized_again(any_store: Store) -> None:
    feed_id = await new_feed(any_store)
    await article_store.upsert_articles(any_store, feed_id, [entry(1), entry(2)], now=NOW)
    for article in await article_store.claim_unsummarized(
        any_store, now=NOW, limit=10, lease_seconds=60
    ):
        await article_store.set_summary(
            any_store, article.id, summary="One.\nTwo.", language="en", now=NOW
        )
    assert (await article_store.article_counts(any_store))["unsummarized"] == 0

    corrected = entry(1, title="Story number 1 (corrected)", text="New text.")
    new = await article_store.upsert_articles(any_store, feed_id, [corrected, entry(2)], now=NOW)

    assert new == 0
    assert await article_store.article_counts(any_store) == {"total": 2, "unsummarized": 1}
    pending = await article_store.claim_unsummarized(
        any_store, now=NOW, limit=10, lease_seconds=60
    )
    assert [(a.title, a.text, a.summary) for a in pending] == [
        ("Story number 1 (corrected)", "New text.", None)
    ]


async def test_page_text_survives_the_teaser_on_the_next_poll(any_store: Store) -> None:
    feed_id = await new_feed(any_store)
    teaser = entry(1, text="Read more...")
    from_page = entry(1, text="The whole article as extracted from its page.")
    await article_store.upsert_articles(
        any_store, feed_id, [from_page], now=NOW, extracted=frozenset({"hash-1"})
    )
    (article,) = await article_store.claim_unsummarized(
        any_store, now=NOW, limit=10, lease_seconds=60
    )
    await article_store.set_summary(
        any_store, article.id, summary="Summary.", language="en", now=NOW
    )

    await article_store.upsert_articles(any_store, feed_id, [teaser], now=NOW)
    kept = await article_store.get_article(any_store, article.id)
    assert kept is not None
    assert kept.text == "The whole article as extracted from its page."
    assert kept.summary == "Summary."

    retitled = entry(1, title="A better headline", text="Read more...")
    await article_store.upsert_articles(any_store, feed_id, [retitled], now=NOW)
    changed = await article_store.get_article(any_store, article.id)
    assert changed is not None
    assert (changed.title, changed.text) == ("A better headline", kept.text)
    assert changed.summary is None


async def test_sort_at_clamps_future_dates_and_fills_missing_ones(any_store: Store) -> None:
    feed_id = await new_feed(any_store)
    future = entry(1, published_at=NOW + timedelta(days=3))
    undated = entry(2, published_at=None)
    old = entry(3, published_at=NOW - timedelta(days=2))
    await article_store.upsert_articles(any_store, feed_id, [future, undated, old], now=NOW)

    # The window is on fetch time: a story published two days ago but fetched now is new.
    window = await article_store.articles_between(
        any_store, since=NOW - timedelta(days=1), until=NOW
    )
    assert sorted(a.title for a in window) == [
        "Story number 1",
        "Story number 2",
        "Story number 3",
    ]
    assert all(a.feed_title == "Example" for a in window)
    assert await article_store.newest_article_at(any_store) == NOW
    dated = next(a for a in window if a.title == "Story number 1")
    assert dated.published_at == NOW + timedelta(days=3)


async def test_articles_between_filters_orders_and_limits(any_store: Store) -> None:
    a, b = await new_feed(any_store, "a", "Feed A"), await new_feed(any_store, "b", "Feed B")
    # Each story fetched as many hours ago as its number.
    for feed_id, number in ((a, 1), (a, 3), (b, 2), (b, 30)):
        fetched = NOW - timedelta(hours=number)
        await article_store.upsert_articles(any_store, feed_id, [entry(number)], now=fetched)

    day = await article_store.articles_between(any_store, since=NOW - timedelta(days=1), until=NOW)
    assert [x.title for x in day] == ["Story number 1", "Story number 2", "Story number 3"]
    assert [x.feed_title for x in day] == ["Feed A", "Feed B", "Feed A"]
    only_b = await article_store.articles_between(
        any_store, since=NOW - timedelta(days=2), until=NOW, feed_ids=[b]
    )
    assert [x.title for x in only_b] == ["Story number 2", "Story number 30"]
    # since is exclusive, until inclusive.
    edge = await article_store.articles_between(
        any_store, since=NOW - timedelta(hours=2), until=NOW - timedelta(hours=1)
    )
    assert [x.title for x in edge] == ["Story number 1"]
    capped = await article_store.articles_between(
        any_store, since=NOW - timedelta(days=2), until=NOW, limit=2
    )
    assert len(capped) == 2
    assert (
        await article_store.articles_between(
            any_store, since=NOW - timedelta(days=2), until=NOW, feed_ids=[]
        )
        == []
    )
    assert await article_store.newest_article_at(any_store, feed_ids=[b]) == NOW - timedelta(
        hours=2
    )


async def test_newest_article_at_is_none_without_articles(any_store: Store) -> None:
    assert await article_store.newest_article_at(any_store) is None


async def test_summary_leases(any_store: Store) -> None:
    feed_id = await new_feed(any_store)
    await article_store.upsert_articles(
        any_store, feed_id, [entry(n) for n in range(1, 4)], now=NOW
    )
    first = await article_store.claim_unsummarized(any_store, now=NOW, limit=2, lease_seconds=60)
    second = await article_store.claim_unsummarized(any_store, now=NOW, limit=10, lease_seconds=60)
    assert len(first) == 2
    assert len(second) == 1
    assert first[0].id > first[1].id > second[0].id  # newest first
    assert not await article_store.claim_unsummarized(
        any_store, now=NOW, limit=10, lease_seconds=60
    )

    await article_store.set_summary(
        any_store, first[0].id, summary="A.\nB.", language="en", now=NOW
    )
    expired = await article_store.claim_unsummarized(
        any_store, now=NOW + timedelta(seconds=61), limit=10, lease_seconds=60
    )
    assert sorted(a.id for a in expired) == sorted([first[1].id, second[0].id])
    done = await article_store.get_article(any_store, first[0].id)
    assert done is not None
    assert (done.summary, done.language, done.feed_title) == ("A.\nB.", "en", "Example")


async def test_concurrent_summary_claims_are_disjoint(any_store: Store) -> None:
    feed_id = await new_feed(any_store)
    await article_store.upsert_articles(any_store, feed_id, [entry(n) for n in range(40)], now=NOW)

    async def claim() -> list[int]:
        got: list[int] = []
        for _ in range(5):
            got += [
                a.id
                for a in await article_store.claim_unsummarized(
                    any_store, now=NOW, limit=3, lease_seconds=60
                )
            ]
        return got

    results = await asyncio.gather(claim(), claim(), claim())
    ids = [i for r in results for i in r]
    assert len(ids) == len(set(ids)) == 40


async def test_get_article_missing(any_store: Store) -> None:
    assert await article_store.get_article(any_store, 12345) is None


async def test_a_large_batch_is_stored_in_one_call(any_store: Store) -> None:
    feed_id = await new_feed(any_store)
    entries = [entry(n, text="word " * 200) for n in range(700)]
    assert await article_store.upsert_articles(any_store, feed_id, entries, now=NOW) == 700
    assert await article_store.upsert_articles(any_store, feed_id, entries, now=NOW) == 0

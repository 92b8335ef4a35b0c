"""A window read once for every feed (many chats with feeds of their own) gives each chat the
very digest its own query would: same stories, same grouping, same archive lines."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from news.digests import Digests
from news.models import ParsedEntry
from news.storage import articles as article_store
from news.storage.db import Store
from news.storage.feeds import add_feed

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=1)


async def seed(store: Store) -> list[int]:
    rng = random.Random(5)
    words = ["harbour", "storm", "council", "budget", "rail", "strike", "museum", "river"]
    ids = []
    for n in range(8):
        feed, _ = await add_feed(store, f"https://f{n}.example/rss", now=SINCE, title=f"Feed {n}")
        ids.append(feed.id)
        entries = [
            ParsedEntry(
                entry_hash=f"{n}-{k}",
                title=" ".join(rng.sample(words, 4))
                if k % 3
                else "Storm hits the harbour at dawn",
                url=f"https://shared.example/{k}" if k == 0 else f"https://f{n}.example/{k}",
                published_at=NOW - timedelta(hours=k + 1, minutes=n),
                text="Some text about it, long enough to keep.",
            )
            for k in range(6)
        ]
        if n == 3:  # an archive dump: old items, most counted rather than shown
            entries += [
                ParsedEntry(entry_hash=f"old{k}", title=f"Archive story {k}",
                            url=f"https://f3.example/old/{k}",
                            published_at=NOW - timedelta(days=40 + k), text="Old.")
                for k in range(25)
            ]  # fmt: skip
        await article_store.upsert_articles(store, feed.id, entries, now=NOW - timedelta(hours=1))
    return ids


async def test_pooled_digests_are_the_digests_of_each_chats_own_query(any_store: Store) -> None:
    ids = await seed(any_store)
    rng = random.Random(9)
    sets = [tuple(sorted(rng.sample(ids, rng.randint(1, 6)))) for _ in range(25)]
    alone, pooled = Digests(any_store), Digests(any_store)
    for chosen in sets:
        own = await alone.make(since=SINCE, until=NOW, feed_ids=chosen, limit=10)
        shared = await pooled.make(since=SINCE, until=NOW, feed_ids=chosen, limit=10, pooled=True)
        assert shared == own, chosen
        assert own.items
        if ids[3] in chosen:
            assert own.older == (("Feed 3", 15),)
    merged = [i for chosen in sets for i in (await alone.make(
        since=SINCE, until=NOW, feed_ids=chosen, limit=50)).items if ", " in i.source]  # fmt: skip
    assert merged  # some chats see one story from several of their feeds
    assert pooled.queries == 1
    assert alone.queries == len(set(sets))

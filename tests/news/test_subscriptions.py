from datetime import UTC, datetime, time, timedelta

import pytest

from news.models import Subscription
from news.storage.db import Store
from news.storage.subscriptions import (
    get_subscription,
    list_active,
    mark_digest_sent,
    subscription_counts,
)
from news.storage.tables import feeds
from news.subscriptions import subscribe, unsubscribe, update_subscription

NOW = datetime(2026, 1, 10, 6, 0, tzinfo=UTC)


async def sub(store: Store, chat_id: int = 42, *, now: datetime = NOW, chat_type: str = "private",
              times: tuple[time, ...] = (time(8, 0),), timezone: str = "UTC",
              ) -> tuple[Subscription, bool]:  # fmt: skip
    return await subscribe(
        store,
        chat_id,
        chat_type=chat_type,
        title=None,
        digest_times=times,
        timezone=timezone,
        max_articles=10,
        now=now,
    )


async def add_feeds(store: Store, *ids: int) -> None:
    async with store.begin() as conn:
        await conn.execute(
            feeds.insert(),
            [{"id": i, "url": f"http://127.0.0.1/{i}.xml", "next_check_at": NOW,
              "created_at": NOW, "is_default": True} for i in ids],
        )  # fmt: skip


async def test_subscribe_creates_an_active_subscription_with_defaults(any_store: Store) -> None:
    got, changed = await sub(any_store, times=(time(8, 0),), timezone="Europe/Berlin")
    assert changed
    assert got.active
    assert got.chat_id == 42
    assert got.digest_times == ("08:00",)
    assert got.frequency == "daily"
    assert got.feed_ids == ()  # no feeds yet: a new subscriber starts with the default ones
    assert not got.link_previews
    assert got.next_digest_at == datetime(2026, 1, 10, 7, 0, tzinfo=UTC)  # 08:00 in Berlin
    # The first digest covers the last 24 hours, so it is not empty.
    assert got.last_digest_at == NOW - timedelta(hours=24)
    assert await get_subscription(any_store, 42) == got


async def test_two_default_times_mean_twice_a_day(any_store: Store) -> None:
    got, _ = await sub(any_store, times=(time(20, 0), time(8, 0), time(8, 0)))
    assert got.digest_times == ("20:00", "08:00")
    assert got.frequency == "twice"
    assert got.next_digest_at == datetime(2026, 1, 10, 8, 0, tzinfo=UTC)


async def test_subscribe_twice_is_harmless(any_store: Store) -> None:
    first, changed = await sub(any_store)
    again, changed_again = await sub(any_store, now=NOW + timedelta(hours=1))
    assert changed
    assert not changed_again
    assert again.id == first.id
    assert again.next_digest_at == first.next_digest_at
    assert (await subscription_counts(any_store))["active"] == 1


async def test_unsubscribe_is_idempotent(any_store: Store) -> None:
    await sub(any_store)
    assert await unsubscribe(any_store, 42, now=NOW)
    assert not await unsubscribe(any_store, 42, now=NOW)
    assert not await unsubscribe(any_store, 7, now=NOW)
    got = await get_subscription(any_store, 42)
    assert got is not None
    assert not got.active
    assert got.next_digest_at is None
    assert await list_active(any_store) == []


async def test_resubscribe_keeps_settings(any_store: Store) -> None:
    await add_feeds(any_store, 1, 2)
    await sub(any_store)
    await update_subscription(any_store, 42, now=NOW, digest_times=[time(18, 30)],
                              timezone="Asia/Kolkata", frequency="twice", max_articles=5,
                              feed_ids=[2], link_previews=True)  # fmt: skip
    await unsubscribe(any_store, 42, now=NOW)
    later = NOW + timedelta(days=30)
    got, changed = await sub(any_store, now=later, times=(time(8, 0),), timezone="UTC")
    assert changed
    assert got.active
    assert got.digest_times == ("18:30",)
    assert got.timezone == "Asia/Kolkata"
    assert got.frequency == "twice"
    assert got.max_articles == 5
    assert got.feed_ids == (2,)
    assert got.link_previews
    # 18:30 or 06:30 in Kolkata (UTC+05:30): 13:00 or 01:00 UTC, whichever comes first.
    assert got.next_digest_at == datetime(2026, 2, 9, 13, 0, tzinfo=UTC)
    # Coming back after a month does not flood the chat with a month of articles.
    assert got.last_digest_at == later - timedelta(hours=24)


async def test_update_changes_settings_and_reschedules(any_store: Store) -> None:
    await sub(any_store)
    got = await update_subscription(any_store, 42, now=NOW, digest_times=[time(7, 15)],
                                    timezone="America/New_York")  # fmt: skip
    assert got.digest_times == ("07:15",)
    assert got.timezone == "America/New_York"
    assert got.next_digest_at == datetime(2026, 1, 10, 12, 15, tzinfo=UTC)
    hourly = await update_subscription(any_store, 42, now=NOW, frequency="hourly")
    assert hourly.next_digest_at == datetime(2026, 1, 10, 6, 15, tzinfo=UTC)
    off = await update_subscription(any_store, 42, now=NOW, frequency="off")
    assert off.active
    assert off.next_digest_at is None


async def test_update_keeps_a_digest_that_is_already_due(any_store: Store) -> None:
    created, _ = await sub(any_store)
    assert created.next_digest_at is not None
    late = created.next_digest_at + timedelta(seconds=20)
    got = await update_subscription(any_store, 42, now=late, digest_times=[time(9, 0)])
    # The 08:00 digest still goes out; 09:00 applies from the next one.
    assert got.next_digest_at == created.next_digest_at
    assert got.digest_times == ("09:00",)
    off = await update_subscription(any_store, 42, now=late, frequency="off")
    assert off.next_digest_at is None


async def test_update_feed_ids_all_and_some(any_store: Store) -> None:
    await add_feeds(any_store, 1, 2, 3)
    await sub(any_store)
    some = await update_subscription(any_store, 42, now=NOW, feed_ids=[3, 1, 3])
    assert some.feed_ids == (1, 3)
    unchanged = await update_subscription(any_store, 42, now=NOW, max_articles=3)
    assert unchanged.feed_ids == (1, 3)
    every = await update_subscription(any_store, 42, now=NOW, feed_ids=None)
    assert every.feed_ids == (1, 2, 3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"digest_times": []}, "at least one digest time"),
        ({"digest_times": [time(8), time(12), time(20)]}, "at most 2 digest times"),
        ({"timezone": "Europe/Atlantis"}, "is not a time zone like Europe/Berlin"),
        ({"timezone": "../../etc/passwd"}, "is not a time zone"),
        ({"frequency": "weekly"}, "frequency must be one of: daily, twice, hourly, off"),
        ({"max_articles": 0}, "between 1 and 50"),
        ({"max_articles": 51}, "between 1 and 50"),
        ({"feed_ids": []}, "choose at least one feed"),
        ({"feed_ids": [1, 99]}, "unknown feed: 99"),
    ],
    ids=["no-times", "three-times", "zone", "zone-path", "frequency", "zero", "too-many",
         "no-feeds", "unknown-feed"],
)  # fmt: skip
async def test_update_rejects_bad_values_and_changes_nothing(
    any_store: Store, kwargs: dict[str, object], message: str
) -> None:
    await add_feeds(any_store, 1)
    before, _ = await sub(any_store)
    with pytest.raises(ValueError, match=message):
        await update_subscription(any_store, 42, now=NOW, **kwargs)  # type: ignore[arg-type]
    assert await get_subscription(any_store, 42) == before


async def test_update_of_an_unknown_chat_says_subscribe_first(any_store: Store) -> None:
    with pytest.raises(ValueError, match="send /subscribe first"):
        await update_subscription(any_store, 5, now=NOW, max_articles=3)


async def test_mark_digest_sent_moves_the_window_forward_only(any_store: Store) -> None:
    await sub(any_store)
    until = NOW + timedelta(minutes=5)
    await mark_digest_sent(any_store, 42, until=until, now=until)
    await mark_digest_sent(any_store, 42, until=NOW, now=until)
    got = await get_subscription(any_store, 42)
    assert got is not None
    assert got.last_digest_at == until


async def test_counts_by_kind(any_store: Store) -> None:
    await sub(any_store, 1)
    await sub(any_store, 2)
    await sub(any_store, -3, chat_type="group")
    await sub(any_store, -4, chat_type="supergroup")
    await sub(any_store, -5, chat_type="channel")
    await unsubscribe(any_store, 2, now=NOW)
    counts = await subscription_counts(any_store)
    assert counts == {"active": 4, "inactive": 1, "private": 1, "groups": 2, "channels": 1}
    assert [s.chat_id for s in await list_active(any_store)] == [1, -3, -4, -5]


async def test_counts_of_an_empty_database_are_zero(any_store: Store) -> None:
    counts = await subscription_counts(any_store)
    assert counts == {"active": 0, "inactive": 0, "private": 0, "groups": 0, "channels": 0}

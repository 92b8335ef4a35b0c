import asyncio
import itertools
import re
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select, update

from jobs.plan import SETTLE, plan_due_digests
from news.digests import ARCHIVE_PER_SOURCE
from news.feedurl import url_key
from news.settings import Settings
from news.storage import feeds as feed_store
from news.storage.db import Store, open_store
from news.storage.subscriptions import claim_due, get_subscription
from news.storage.tables import articles, feeds, outbox, subscriptions
from news.subscriptions import advance_planned, subscribe, unsubscribe, update_subscription

SUBSCRIBED = datetime(2026, 1, 10, 6, 0, tzinfo=UTC)
DUE = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)  # 08:00 UTC, the default digest time
LATE = DUE + timedelta(seconds=30)  # the planner's tick after the digest became due
_ids = itertools.count(1)


async def add_feed(store: Store, feed_id: int, title: str) -> None:
    """Store an operator's feed with this id: every subscriber (and new one) reads it."""
    url = f"http://127.0.0.1/{feed_id}.xml"
    async with store.begin() as conn:
        await conn.execute(feeds.insert().values(
            id=feed_id, url=url, url_key=url_key(url), title=title,
            next_check_at=SUBSCRIBED, created_at=SUBSCRIBED))  # fmt: skip
    await feed_store.add_feed(store, url, now=SUBSCRIBED)  # default: given to every chat


async def add_article(store: Store, feed_id: int, title: str, fetched_at: datetime) -> None:
    n = next(_ids)
    async with store.begin() as conn:
        await conn.execute(articles.insert().values(
            feed_id=feed_id, entry_hash=f"h{n}", url=f"https://example.org/{n}", title=title,
            published_at=fetched_at, fetched_at=fetched_at, sort_at=fetched_at,
            text=f"{title}. The story in full.", content_hash=f"c{n}",
            summary=f"What happened in {title}.", summarized_at=fetched_at))  # fmt: skip


async def add_archive(store: Store, feed_id: int, count: int, fetched_at: datetime) -> None:
    """Store `count` items dated a day apart from a month back, all fetched at once."""
    rows = [
        dict(feed_id=feed_id, entry_hash=f"old{n}", url=f"https://example.org/old/{n}",
             title=f"Archive story {n}", published_at=fetched_at - timedelta(days=30 + n),
             fetched_at=fetched_at, sort_at=fetched_at - timedelta(days=30 + n),
             text=f"Archive story {n}, from long ago.", content_hash=f"old{n}")
        for n in range(count)
    ]  # fmt: skip
    async with store.begin() as conn:
        await conn.execute(articles.insert(), rows)


def shown_titles(texts: list[str], prefix: str) -> list[str]:
    """Return the linked titles starting with `prefix` in the digest messages."""
    return [t for text in texts for t in re.findall(rf'">({prefix}[^<]*)</a></b>', text)]


async def sub(store: Store, chat_id: int, *, now: datetime = SUBSCRIBED) -> None:
    await subscribe(store, chat_id, chat_type="private", title=None, digest_times=[time(8, 0)],
                    timezone="UTC", max_articles=10, now=now)  # fmt: skip


async def outbox_rows(store: Store) -> list[tuple[int, str, int, str, bool]]:
    stmt = select(outbox.c.chat_id, outbox.c.slot, outbox.c.part, outbox.c.text,
                  outbox.c.link_previews).order_by(outbox.c.chat_id, outbox.c.part)  # fmt: skip
    async with store.connect() as conn:
        return [tuple(row) for row in await conn.execute(stmt)]


async def test_due_subscription_gets_its_digest_in_the_outbox(
    any_store: Store, settings: Settings
) -> None:
    await add_feed(any_store, 1, "Daily <News>")
    await sub(any_store, 42)
    await add_article(any_store, 1, "Rates & bonds rally", SUBSCRIBED + timedelta(minutes=30))
    report = await plan_due_digests(any_store, settings, now=LATE)
    assert (report.claimed, report.planned, report.empty) == (1, 1, 0)
    rows = await outbox_rows(any_store)
    assert len(rows) == report.messages == 1
    chat_id, slot, part, text, previews = rows[0]
    assert (chat_id, slot, part, previews) == (42, "digest:2026-01-10T08:00Z", 0, False)
    assert "Rates &amp; bonds rally" in text
    assert "Daily &lt;News&gt;" in text
    after = await get_subscription(any_store, 42)
    assert after is not None
    # The window closes SETTLE before `now`: writes still in flight land in the next one.
    assert after.last_digest_at == LATE - SETTLE
    assert after.next_digest_at == DUE + timedelta(days=1)


async def test_first_digest_covers_the_day_before_subscribing(
    store: Store, settings: Settings
) -> None:
    await add_feed(store, 1, "Wire")
    await add_article(store, 1, "Yesterday evening", SUBSCRIBED - timedelta(hours=10))
    await add_article(store, 1, "Two days ago", SUBSCRIBED - timedelta(hours=30))
    await sub(store, 42)
    await plan_due_digests(store, settings, now=LATE)
    (row,) = await outbox_rows(store)
    assert "Yesterday evening" in row[3]
    assert "Two days ago" not in row[3]


async def test_planning_twice_creates_nothing_twice(any_store: Store, settings: Settings) -> None:
    await add_feed(any_store, 1, "Wire")
    await sub(any_store, 42)
    await add_article(any_store, 1, "One story", SUBSCRIBED + timedelta(minutes=5))
    await plan_due_digests(any_store, settings, now=LATE)
    first = await outbox_rows(any_store)
    again = await plan_due_digests(any_store, settings, now=LATE + timedelta(seconds=30))
    assert again.claimed == 0
    # Even a planner that plans the same slot again (a rewound schedule) adds no row.
    async with any_store.begin() as conn:
        await conn.execute(update(subscriptions).values(
            next_digest_at=DUE, last_digest_at=SUBSCRIBED - timedelta(hours=24)))  # fmt: skip
    replanned = await plan_due_digests(any_store, settings, now=LATE)
    assert (replanned.planned, replanned.messages) == (1, 0)
    assert await outbox_rows(any_store) == first


async def test_not_yet_due_plans_nothing(any_store: Store, settings: Settings) -> None:
    await add_feed(any_store, 1, "Wire")
    await sub(any_store, 42)
    await add_article(any_store, 1, "Early news", SUBSCRIBED + timedelta(minutes=5))
    report = await plan_due_digests(any_store, settings, now=DUE - timedelta(seconds=1))
    assert report.claimed == 0
    assert await outbox_rows(any_store) == []


async def test_nothing_new_sends_nothing_but_advances_the_schedule(
    any_store: Store, settings: Settings
) -> None:
    await add_feed(any_store, 1, "Wire")
    await sub(any_store, 42)
    before = await get_subscription(any_store, 42)
    report = await plan_due_digests(any_store, settings, now=LATE)
    assert (report.claimed, report.planned, report.empty) == (1, 0, 1)
    assert await outbox_rows(any_store) == []
    after = await get_subscription(any_store, 42)
    assert before is not None
    assert after is not None
    assert after.next_digest_at == DUE + timedelta(days=1)
    assert after.last_digest_at == before.last_digest_at
    # What arrives later goes out with the next digest.
    await add_article(any_store, 1, "Evening news", DUE + timedelta(hours=10))
    await plan_due_digests(any_store, settings, now=LATE + timedelta(days=1))
    ((_, slot, _, text, _),) = await outbox_rows(any_store)
    assert slot == "digest:2026-01-11T08:00Z"
    assert "Evening news" in text


async def test_feed_choice_and_preferences_are_respected(
    any_store: Store, settings: Settings
) -> None:
    await add_feed(any_store, 1, "Sports")
    await add_feed(any_store, 2, "Science")
    await sub(any_store, 1)
    await sub(any_store, 2)
    await update_subscription(any_store, 2, now=SUBSCRIBED, feed_ids=[2], link_previews=True)
    await add_article(any_store, 1, "Cup final tonight", SUBSCRIBED + timedelta(minutes=5))
    await add_article(any_store, 2, "Comet seen at dawn", SUBSCRIBED + timedelta(minutes=6))
    await plan_due_digests(any_store, settings, now=LATE)
    everything, science = await outbox_rows(any_store)
    assert "Cup final tonight" in everything[3]
    assert "Comet seen at dawn" in everything[3]
    assert "Comet seen at dawn" in science[3]
    assert "Cup final tonight" not in science[3]
    assert (everything[4], science[4]) == (False, True)


async def test_inactive_and_off_subscriptions_are_not_planned(
    any_store: Store, settings: Settings
) -> None:
    await add_feed(any_store, 1, "Wire")
    await sub(any_store, 1)
    await sub(any_store, 2)
    await unsubscribe(any_store, 1, now=SUBSCRIBED)
    await update_subscription(any_store, 2, now=SUBSCRIBED, frequency="off")
    await add_article(any_store, 1, "Anything", SUBSCRIBED + timedelta(minutes=5))
    report = await plan_due_digests(any_store, settings, now=LATE)
    assert report.claimed == 0
    assert await outbox_rows(any_store) == []


async def test_a_long_digest_is_split_into_parts_within_telegram_limits(
    store: Store, settings: Settings
) -> None:
    await add_feed(store, 1, "Wire")
    await sub(store, 42)
    await update_subscription(store, 42, now=SUBSCRIBED, max_articles=50)
    for n in range(50):
        title = f"Story number {n} " + "with a long headline " * 8
        await add_article(store, 1, title, SUBSCRIBED + timedelta(minutes=n))
    await plan_due_digests(store, settings, now=LATE)
    rows = await outbox_rows(store)
    assert len(rows) > 1
    assert [row[2] for row in rows] == list(range(len(rows)))
    assert {row[1] for row in rows} == {"digest:2026-01-10T08:00Z"}
    assert all(len(row[3]) <= 4096 for row in rows)
    assert all(sum(f"Story number {n} " in row[3] for row in rows) == 1 for n in range(50))


async def test_an_archive_dump_is_capped_and_said_once_and_not_carried_over(
    any_store: Store, settings: Settings
) -> None:
    await add_feed(any_store, 1, "Archive & <Co>")
    await sub(any_store, 42)
    arrived = SUBSCRIBED + timedelta(minutes=30)
    for n in range(3):  # stored first: the dump's rows come after them
        await add_article(any_store, 1, f"Fresh story {n}", arrived)
    await add_archive(any_store, 1, 10_000, arrived)
    await plan_due_digests(any_store, settings, now=LATE)
    texts = [row[3] for row in await outbox_rows(any_store)]
    assert sorted(shown_titles(texts, "Fresh story")) == [f"Fresh story {n}" for n in range(3)]
    assert len(shown_titles(texts, "Archive story")) <= ARCHIVE_PER_SOURCE
    line = "and 9,990 older items from Archive &amp; &lt;Co&gt; are in /search"
    assert sum(text.count("older item") for text in texts) == 1
    assert line in texts[-1]

    await add_article(any_store, 1, "Next day story", DUE + timedelta(hours=10))
    await plan_due_digests(any_store, settings, now=LATE + timedelta(days=1))
    later = [row[3] for row in await outbox_rows(any_store) if row[1].endswith("11T08:00Z")]
    assert shown_titles(later, "") == ["Next day story"]
    assert not any("older item" in text for text in later)


async def test_a_few_late_items_of_a_source_are_shown_without_a_line(
    any_store: Store, settings: Settings
) -> None:
    await add_feed(any_store, 1, "Wire")
    await sub(any_store, 42)
    await add_archive(any_store, 1, ARCHIVE_PER_SOURCE, SUBSCRIBED + timedelta(minutes=30))
    await plan_due_digests(any_store, settings, now=LATE)
    texts = [row[3] for row in await outbox_rows(any_store)]
    assert len(shown_titles(texts, "Archive story")) == ARCHIVE_PER_SOURCE
    assert not any("older item" in text for text in texts)


async def test_shared_windows_cost_one_query_and_one_render(
    store: Store, settings: Settings
) -> None:
    await add_feed(store, 1, "Wire")
    for chat_id in range(1, 121):
        await sub(store, chat_id)
    await add_article(store, 1, "Shared story", SUBSCRIBED + timedelta(minutes=5))
    report = await plan_due_digests(store, settings, now=LATE, limit=50)
    assert (report.claimed, report.planned, report.messages) == (120, 120, 120)
    assert (report.queries, report.renders) == (1, 1)


async def test_a_change_after_the_claim_is_not_overwritten(
    any_store: Store, settings: Settings
) -> None:
    await sub(any_store, 41)
    await sub(any_store, 42)
    lease = LATE + timedelta(minutes=5)
    claimed = await claim_due(any_store, now=LATE, lease_until=lease, limit=10)
    await update_subscription(any_store, 42, now=LATE, digest_times=[time(9, 0)])
    async with any_store.begin() as conn:
        windows = [(s, LATE) for s in claimed]
        advanced = await advance_planned(conn, windows, lease_until=lease, now=LATE)
    assert advanced == {s.id for s in claimed if s.chat_id == 41}
    # The due digest is planned again, now with the new settings.
    report = await plan_due_digests(any_store, settings, now=LATE)
    assert report.claimed == 1
    after = await get_subscription(any_store, 42)
    assert after is not None
    assert after.next_digest_at == datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


async def test_two_planners_on_postgresql_never_plan_one_subscription_twice(
    pg_url: str, settings: Settings
) -> None:
    first, second = await open_store(pg_url), await open_store(pg_url)
    try:
        await add_feed(first, 1, "Wire")
        for chat_id in range(1, 401):
            await sub(first, chat_id)
        await add_article(first, 1, "Everyone gets this", SUBSCRIBED + timedelta(minutes=5))
        reports = await asyncio.gather(
            plan_due_digests(first, settings, now=LATE, limit=25),
            plan_due_digests(second, settings, now=LATE, limit=25),
        )
        assert sum(r.claimed for r in reports) == 400
        assert sum(r.planned for r in reports) == 400
        assert sum(r.messages for r in reports) == 400
        assert all(r.claimed > 0 for r in reports)
        async with first.connect() as conn:
            chats = (await conn.execute(select(func.count(outbox.c.chat_id.distinct())))).scalar()
        assert chats == 400
    finally:
        await first.close()
        await second.close()

"""Scheduled digests follow the chat's filters (per source too) and count what they held back."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from jobs.plan import plan_due_digests
from news import words
from news.filters import add_filter
from news.settings import Settings
from news.storage.db import Store
from news.storage.tables import outbox
from tests.jobs.test_plan import LATE, SUBSCRIBED, add_article, add_feed, outbox_rows, sub


async def test_planned_digest_follows_the_chats_filters(
    any_store: Store, settings: Settings
) -> None:
    await add_feed(any_store, 1, "Wire")
    await add_feed(any_store, 2, "Sports Desk")
    at = SUBSCRIBED + timedelta(minutes=30)
    for feed_id, title in [(1, "Rates rally"), (1, "Cup final tonight"), (2, "Cup final tonight")]:
        await add_article(any_store, feed_id, title, at)
    await add_article(any_store, 2, "Transfer window opens", at)
    await sub(any_store, 42)
    await sub(any_store, 43)  # no filters: sees everything
    await add_filter(any_store, 42, "2 -cup", now=SUBSCRIBED)
    await add_filter(any_store, 42, "-transfer", now=SUBSCRIBED)
    await plan_due_digests(any_store, settings, now=LATE)
    texts = {chat_id: text for chat_id, _, _, text, _ in await outbox_rows(any_store)}
    assert "Rates rally" in texts[42]
    assert "Cup final tonight" in texts[42]  # from Wire: the cup filter is the Sports Desk's
    assert "Transfer" not in texts[42]
    assert texts[42].splitlines()[-1] == "🧹 2 stories filtered out (/filter)"
    assert "Transfer window opens" in texts[43]
    assert "filtered out" not in texts[43]


async def test_planned_digest_carries_mute_and_filter_buttons(
    store: Store, settings: Settings
) -> None:
    await add_feed(store, 1, "Wire")
    await add_article(store, 1, "Rates rally", SUBSCRIBED + timedelta(minutes=30))
    await sub(store, 42)
    await plan_due_digests(store, settings, now=LATE)
    async with store.connect() as conn:
        [buttons] = (await conn.execute(select(outbox.c.buttons))).scalars().all()
    assert json.loads(buttons) == [
        [[words.mute("Wire"), "mu:1"]],
        [[words.BUTTON_FILTER, "f:new"]],
    ]

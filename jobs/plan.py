"""Plan due digests: render each due subscription's digest ahead and write it to the outbox.

For each batch: claim due subscriptions with a lease (several planners may run at once), build
and render their digests outside any transaction, then in ONE short transaction per batch
advance each subscription and enqueue its messages. The outbox key (chat, slot, part) makes
planning twice create nothing twice; a crash before the commit leaves the lease to expire and
the batch is planned again.

Windows. A digest covers the articles that arrived since the chat's last digest, up to `now`
(news.digests: the one rule, /digest follows it too). A digest with nothing new is not sent;
its schedule still advances, but `last_digest_at` stays, so an article that arrives late
(fetched after the window closed, dated inside it) rolls into the next digest instead of
falling between two.

Cost. Subscribers who share a schedule share a window, so the articles query is cached per
(window, feeds) by news.digests.Digests, and the rendered messages here per (window, feeds,
article cap, time zone): 10,000 subscribers due at the same minute with default settings cost
one query, one digest and one render, plus their writes.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from news.digest_times import slot_key
from news.digests import LRU, Digests, window_start
from news.filters import ChatFilters, filters_of
from news.models import Subscription
from news.render import digest_buttons, render_html
from news.settings import Settings
from news.sources import Trouble, troubled_feeds, with_trouble
from news.storage import outbox
from news.storage.db import Store
from news.storage.subscriptions import claim_due
from news.subscriptions import advance_planned

log = logging.getLogger(__name__)

_Parts = tuple[list[str], str | None]  # a digest's messages, and the buttons under the last

# Distinct feed sets sharing one window from which the window is read once for every feed.
POOL_AT = 20
# How far behind `now` a digest window closes (see plan_due_digests).
SETTLE = timedelta(seconds=30)


@dataclass(slots=True)
class PlanReport:
    """What one planning run did."""

    claimed: int = 0
    planned: int = 0  # digests written to the outbox
    empty: int = 0  # nothing new: not sent, schedule advanced
    changed: int = 0  # changed or unsubscribed after the claim: planned again with new settings
    messages: int = 0  # outbox rows created
    queries: int = 0  # article queries run (the rest came from the cache)
    renders: int = 0  # digests built and rendered (the rest came from the cache)


class _Planner:
    """Renders digests for one run, sharing queries and renders between identical windows."""

    def __init__(
        self,
        store: Store,
        report: PlanReport,
        *,
        until: datetime,
        troubled: dict[int, Trouble] | None = None,
    ) -> None:
        self.report = report
        self.until = until
        self.troubled = troubled or {}
        self.digests = Digests(store)
        self.parts: LRU[tuple[object, ...], _Parts] = LRU()

    async def render(
        self, sub: Subscription, filters: ChatFilters | None, *, pooled: bool = False
    ) -> _Parts:
        """Return the messages of the subscription's digest (empty: nothing new), and the
        buttons under it (JSON)."""
        since = window_start(sub, self.until)
        # The chat's own sources, minus those muted (news.storage.sources).
        feed_ids = sub.feeds_at(self.until)
        key = (since, feed_ids, sub.max_articles, sub.timezone, filters and filters.key)
        return await self.parts.get(
            key, lambda: self._render(sub, since, feed_ids, filters, pooled)
        )

    async def _render(
        self,
        sub: Subscription,
        since: datetime,
        feed_ids: tuple[int, ...] | None,
        filters: ChatFilters | None,
        pooled: bool,
    ) -> _Parts:
        digest = await self.digests.make(
            pooled=pooled,
            since=since,
            until=self.until,
            feed_ids=feed_ids,
            limit=sub.max_articles,
            filters=filters,
        )
        self.report.renders += 1
        if digest.empty:
            return [], None
        parts, buttons = with_trouble(
            render_html(digest, tz=sub.timezone), digest_buttons(digest), self.troubled, feed_ids
        )
        return parts, json.dumps(buttons)


async def _write(
    store: Store,
    planned: list[tuple[Subscription, _Parts]],
    report: PlanReport,
    *,
    lease_until: datetime,
    now: datetime,
    window_end: datetime,
) -> None:
    # Nothing new: the schedule advances but the window stays open (see the module docstring).
    windows = [(sub, window_end if parts else sub.last_digest_at) for sub, (parts, _) in planned]
    async with store.begin() as conn:
        advanced = await advance_planned(conn, windows, lease_until=lease_until, now=now)
        for sub, (parts, buttons) in planned:
            if sub.id not in advanced:
                report.changed += 1
            elif not parts:
                report.empty += 1
            else:
                assert sub.next_digest_at is not None  # noqa: S101 - claimed rows are due
                report.messages += await outbox.enqueue(
                    conn,
                    chat_id=sub.chat_id,
                    slot=slot_key(sub.next_digest_at),
                    parts=parts,
                    link_previews=sub.link_previews,
                    now=now,
                    buttons=buttons,
                    thread_id=sub.thread_id,
                )
                report.planned += 1


async def plan_due_digests(
    store: Store, settings: Settings, *, now: datetime, limit: int = 500
) -> PlanReport:
    """Return what was planned: every subscription due by `now`, in batches of `limit`."""
    report = PlanReport()
    # The window closes a little in the past: an article stamped just before `now` may still be
    # in a transaction that has not committed, and the next window starts where this one ends.
    window_end = now - SETTLE
    planner = _Planner(store, report, until=window_end, troubled=await troubled_feeds(store, now))
    while True:
        # The lease doubles as this claim's token (advance_planned is guarded by it), so two
        # planners started with the same `now` must not share one: a random microsecond apart.
        jitter = timedelta(microseconds=secrets.randbelow(1_000_000))
        lease_until = now + timedelta(seconds=settings.lease_seconds) + jitter
        batch = await claim_due(store, now=now, lease_until=lease_until, limit=limit)
        report.claimed += len(batch)
        # Render before the write transaction, so the transaction stays short.
        filters = await filters_of(store, [sub.chat_id for sub in batch])
        # Many chats of one window with feeds of their own: read the window once for all.
        windows = Counter((window_start(s, window_end), s.feeds_at(window_end)) for s in batch)
        sets = Counter(since for since, _ in windows)
        planned = [
            (
                sub,
                await planner.render(
                    sub,
                    filters.get(sub.chat_id),
                    pooled=sets[window_start(sub, window_end)] >= POOL_AT,
                ),
            )
            for sub in batch
        ]
        await _write(
            store, planned, report, lease_until=lease_until, now=now, window_end=window_end
        )
        if len(batch) < limit:
            break
    report.queries = planner.digests.queries
    if report.claimed:
        log.info(
            "digests planned claimed=%s planned=%s empty=%s changed=%s messages=%s queries=%s",
            report.claimed,
            report.planned,
            report.empty,
            report.changed,
            report.messages,
            report.queries,
        )
    return report

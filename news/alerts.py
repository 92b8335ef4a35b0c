"""Alerts: saved searches that push each new matching story as soon as it is summarized.

The summarizer hands each batch's articles to Alerts.prepare() before storing their summaries;
it percolates them against every active alert (news.percolate: only candidate queries are
verified), applies the chat's filters, and returns the writes, which run in the transaction
that stores the summaries (news.storage.alerts keys each chat and article once). At most
`per_hour` messages per chat and clock hour; the rest fold into one "and N more" message sent
when the hour is over.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from news import words
from news.errors import QueryError
from news.filters import ChatFilters, article_document, filters_of, parse_saved
from news.models import Article, SavedQuery
from news.percolate import Percolator, stemmer_for
from news.query import parse_query
from news.render import render_article
from news.storage import alerts as alert_store
from news.storage import feeds as feed_store
from news.storage.db import Store
from news.storage.sources import digest_only_pairs

log = logging.getLogger(__name__)

MAX_ALERTS = 20
Write = Callable[[AsyncConnection], Awaitable[object]]


async def add_alert(store: Store, chat_id: int, text: str, *, now: datetime) -> SavedQuery:
    """Return the chat's new alert; raises QueryError (shown to the user) if it is refused."""
    query = text.strip()
    try:
        parse_saved(query)
    except QueryError as exc:
        if str(exc) == words.ONLY_EXCLUDED:
            raise QueryError(words.ALERT_ONLY_EXCLUDED) from None
        raise
    if len(await alert_store.chat_alerts(store, chat_id)) >= MAX_ALERTS:
        raise QueryError(words.too_many("alerts", MAX_ALERTS))
    saved = await alert_store.add_alert(store, chat_id, query, now=now)
    if saved is None:
        raise QueryError(words.ALERT_EXISTS)
    return saved


def alert_buttons(alert_id: int) -> alert_store.Buttons:
    """Return the buttons under an alert: Stop, Move to digest."""
    return [
        [(words.BUTTON_STOP, f"al:stop:{alert_id}"), (words.BUTTON_TO_DIGEST, f"al:dg:{alert_id}")]
    ]


def _hour(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0)


class Alerts:
    """The alerts index of one worker, reloaded when alerts were added or removed."""

    def __init__(self, store: Store, *, per_hour: int) -> None:
        self.store, self.per_hour = store, per_hour
        self.stemmer = stemmer_for(store.is_sqlite)
        self._version: tuple[int, int] | None = None
        self._alerts: dict[int, SavedQuery] = {}
        self._index: Percolator[int] = Percolator(self.stemmer)

    async def _refresh(self) -> None:
        version, saved = await alert_store.active_alerts(self.store)
        if version == self._version:
            return
        index: Percolator[int] = Percolator(self.stemmer)
        for alert in saved:
            try:
                index.add(alert.id, parse_query(alert.query))
            except QueryError:
                continue  # saved before a parser change made it empty: it matches nothing
        self._version, self._index = version, index
        self._alerts = {alert.id: alert for alert in saved}

    async def prepare(self, articles: Sequence[Article], *, now: datetime) -> Write | None:
        """Return the writes announcing the articles to the chats whose alerts they match."""
        await self._refresh()
        hits: dict[tuple[int, int], tuple[Article, SavedQuery]] = {}
        for article in articles:
            doc = article_document(article, self.stemmer)
            for alert_id in sorted(self._index.match(doc)):
                alert = self._alerts[alert_id]
                hits.setdefault((alert.chat_id, article.id), (article, alert))
        if not hits:
            return None
        names = await _feed_titles(self.store, {article.feed_id for article, _ in hits.values()})
        hits = {
            key: (replace(article, feed_title=names.get(article.feed_id)), alert)
            for key, (article, alert) in hits.items()
        }
        chats = sorted({chat for chat, _ in hits})
        filters = await filters_of(self.store, chats)
        # A source the chat reads "only in digest" raises no alert there (bot/telegram/sources.py).
        async with self.store.connect() as conn:
            quiet = await digest_only_pairs(conn, chats)
        kept = [
            hit
            for (chat, _), hit in hits.items()
            if _passes(filters.get(chat), hit[0]) and (chat, hit[0].feed_id) not in quiet
        ]
        return lambda conn: self._write(conn, kept, now)

    async def _write(
        self, conn: AsyncConnection, hits: list[tuple[Article, SavedQuery]], now: datetime
    ) -> None:
        hour = _hour(now)
        folded: set[int] = set()
        for article, alert in hits:
            text = words.alert_header(alert.query) + "\n\n" + render_article(article)
            was_folded = await alert_store.record_hit(
                conn,
                (alert.chat_id, article.id, alert.id),
                cap=self.per_hour,
                hour=hour,
                message=(text, alert_buttons(alert.id)),
                now=now,
            )
            if was_folded:
                folded.add(alert.chat_id)
        for chat_id in folded:
            count = await alert_store.folded_count(conn, chat_id, hour)
            await alert_store.hold_fold(conn, chat_id, hour, words.alerts_more(count), now=now)
        log.info("alerts matched hits=%d folded_chats=%d", len(hits), len(folded))

    async def release_folds(self, *, now: datetime) -> int:
        """Queue the "and N more" messages of hours that are over; return how many."""
        return await alert_store.release_folds(self.store, hour=_hour(now), now=now)


async def _feed_titles(store: Store, feed_ids: set[int]) -> dict[int, str | None]:
    found = {feed_id: await feed_store.get_feed(store, feed_id) for feed_id in feed_ids}
    return {feed_id: feed.title for feed_id, feed in found.items() if feed is not None}


def _passes(filters: ChatFilters | None, article: Article) -> bool:
    return filters is None or filters.keeps(article)

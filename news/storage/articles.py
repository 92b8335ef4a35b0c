"""Articles: the idempotent upsert on (feed_id, entry_hash), pages and summaries with their
leases, windows.

A teaser is stored at once with `page_pending`; its article page is fetched by a later round
(claim_page, then complete_page), and only then is it summarized and shown in digests.

`content_hash` covers what the feed says about an entry (title and text). For an article whose
text came from its page (`text_source='page'`) it covers the title only: the feed keeps sending
the teaser we replaced, and that must not count as a change on every poll.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, Select, Update, bindparam, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from news.models import Article, ParsedEntry
from news.storage.db import Store, insert_ignore
from news.storage.tables import articles, feeds

log = logging.getLogger(__name__)

# Bound parameters per statement stay well under SQLite's limit (32766) and asyncpg's (32767).
_CHUNK = 500
# Entries written per transaction by the upsert.
_BATCH = 2000

_ARTICLE_COLUMNS = (
    articles.c.id,
    articles.c.feed_id,
    articles.c.title,
    articles.c.url,
    articles.c.published_at,
    articles.c.fetched_at,
    articles.c.text,
    articles.c.summary,
    articles.c.language,
    articles.c.author,
)


def article_from_row(row: Row[*tuple[Any, ...]]) -> Article:
    """Return the Article of a row selected with the article columns (and maybe feed_title)."""
    mapping = row._mapping
    return Article(
        id=row.id,
        feed_id=row.feed_id,
        title=row.title,
        url=row.url,
        published_at=row.published_at,
        fetched_at=row.fetched_at,
        text=row.text,
        summary=row.summary,
        language=row.language,
        author=row.author,
        feed_title=mapping.get("feed_title"),
    )


def content_hash(title: str, text: str, *, from_page: bool = False) -> str:
    """Return the hash that tells whether the feed changed an entry."""
    body = "" if from_page else text
    return hashlib.sha256(f"{title}\x00{body}".encode()).hexdigest()


def _chunks(items: Sequence[str]) -> list[Sequence[str]]:
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]


async def _stored(
    conn: AsyncConnection, feed_id: int, hashes: Sequence[str]
) -> dict[str, tuple[str, str]]:
    """Return entry_hash -> (content_hash, text_source) for the hashes already stored."""
    found: dict[str, tuple[str, str]] = {}
    for chunk in _chunks(hashes):
        stmt = select(
            articles.c.entry_hash, articles.c.content_hash, articles.c.text_source
        ).where(articles.c.feed_id == feed_id, articles.c.entry_hash.in_(chunk))
        for row in await conn.execute(stmt):
            found[row.entry_hash] = (row.content_hash, row.text_source)
    return found


StoredEntries = Mapping[str, tuple[str, str]]


async def stored_entries(store: Store, feed_id: int, hashes: Sequence[str]) -> StoredEntries:
    """Return entry_hash -> (content_hash, text_source) for those of `hashes` already stored."""
    if not hashes:
        return {}
    async with store.connect() as conn:
        return await _stored(conn, feed_id, list(dict.fromkeys(hashes)))


async def known_hashes(store: Store, feed_id: int, hashes: Sequence[str]) -> set[str]:
    """Return the subset of `hashes` already stored for this feed."""
    return set(await stored_entries(store, feed_id, hashes))


def _new_row(
    feed_id: int, entry: ParsedEntry, now: datetime, from_page: bool, page_pending: bool
) -> dict[str, object]:
    published = entry.published_at
    return {
        "feed_id": feed_id,
        "entry_hash": entry.entry_hash,
        "guid": entry.guid,
        "url": entry.url,
        "title": entry.title,
        "author": entry.author,
        "published_at": published,
        "fetched_at": now,
        # Feeds date items in the future by mistake; digests must not keep them on top.
        "sort_at": min(published, now) if published is not None else now,
        "text": entry.text,
        "text_source": "page" if from_page else "feed",
        "content_hash": content_hash(entry.title, entry.text, from_page=from_page),
        "page_pending": page_pending,
    }


def _changed_row(entry: ParsedEntry, source: str, from_page: bool) -> dict[str, object]:
    """Return the update for a stored entry (`source`: its text_source), or None if unchanged."""
    keeps_page_text = source == "page" and not from_page
    page_hash = from_page or keeps_page_text
    row: dict[str, object] = {
        "b_hash": entry.entry_hash,
        "title": entry.title,
        "url": entry.url,
        "content_hash": content_hash(entry.title, entry.text, from_page=page_hash),
    }
    if not keeps_page_text:
        row["text"] = entry.text
        row["text_source"] = "page" if from_page else "feed"
    return row


async def upsert_articles(
    store: Store,
    feed_id: int,
    entries: Sequence[ParsedEntry],
    *,
    now: datetime,
    extracted: frozenset[str] = frozenset(),
    pending: frozenset[str] = frozenset(),
    stored: StoredEntries | None = None,
    page_if: Callable[[ParsedEntry], bool] | None = None,
    also: Callable[[AsyncConnection], Awaitable[object]] | None = None,
) -> int:
    """Store new entries and changed ones (to be summarized again); return how many were new.

    New entries whose hash is in `pending`, or for which `page_if` says so, wait for their
    article page. `stored` is stored_entries() for these entries when the caller already read
    it; otherwise each batch reads it in its own write transaction. An entry another writer
    stored meanwhile is skipped by the insert, so a stale map loses nothing. `also` writes in
    the last batch's transaction (the feed's outcome: a poll of a small feed is one commit).
    """
    unique = list({entry.entry_hash: entry for entry in entries}.values())
    if not unique and also is None:
        return 0

    def waits(entry: ParsedEntry) -> bool:
        return entry.entry_hash in pending or (page_if is not None and page_if(entry))

    inserted = 0
    # A transaction per batch: a crash in a feed of 50,000 entries keeps the batches stored,
    # and other writers (a lease renewal, the summarizer) get their turn in between.
    for start in range(0, max(1, len(unique)), _BATCH):
        batch = unique[start : start + _BATCH]
        async with store.begin() as conn:
            known = stored
            if known is None and batch:
                known = await _stored(conn, feed_id, [e.entry_hash for e in batch])
            inserted += await _write_batch(
                conn, feed_id, batch, known or {}, now, extracted, waits
            )
            if also is not None and start + _BATCH >= len(unique):
                await also(conn)
    log.debug("articles stored feed_id=%s entries=%d new=%d", feed_id, len(unique), inserted)
    return inserted


async def _write_batch(
    conn: AsyncConnection,
    feed_id: int,
    batch: list[ParsedEntry],
    stored: StoredEntries,
    now: datetime,
    extracted: frozenset[str],
    waits: Callable[[ParsedEntry], bool],
) -> int:
    """Insert the batch's new entries and update its changed ones; return how many were new."""
    fresh = [
        _new_row(feed_id, e, now, e.entry_hash in extracted, waits(e))
        for e in batch
        if e.entry_hash not in stored
    ]
    changes = [_changes(e, stored, extracted) for e in batch if e.entry_hash in stored]
    updates = [row for row in changes if row is not None]
    inserted = await _insert(conn, fresh)
    for group in _by_columns(updates):
        await conn.execute(_update_stmt(feed_id, group[0]), group)
    return inserted


def _changes(
    entry: ParsedEntry, stored: StoredEntries, extracted: frozenset[str]
) -> dict[str, object] | None:
    old_hash, source = stored[entry.entry_hash]
    row = _changed_row(entry, source, entry.entry_hash in extracted)
    if row["content_hash"] == old_hash:
        return None
    return row


async def _insert(conn: AsyncConnection, rows: list[dict[str, object]]) -> int:
    if not rows:
        return 0
    # Another writer may have stored the same entry meanwhile: skip it rather than fail.
    stmt = insert_ignore(conn.dialect.name, articles, ["feed_id", "entry_hash"])
    result = await conn.execute(stmt.returning(articles.c.id), rows)
    return len(result.fetchall())


def _by_columns(rows: list[dict[str, object]]) -> list[list[dict[str, object]]]:
    """Group update rows by their keys: one executemany per statement shape."""
    groups: dict[tuple[str, ...], list[dict[str, object]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    return list(groups.values())


def _update_stmt(feed_id: int, sample: dict[str, object]) -> Update:
    values: dict[str, Any] = {key: bindparam(key) for key in sample if key != "b_hash"}
    # A changed story is summarized again.
    values |= {"summary": None, "summarized_at": None, "summary_lease_until": None}
    return (
        update(articles)
        .where(articles.c.feed_id == feed_id, articles.c.entry_hash == bindparam("b_hash"))
        .values(values)
    )


async def claim_unsummarized(
    store: Store, *, now: datetime, limit: int, lease_seconds: int
) -> list[Article]:
    """Return up to `limit` articles without a summary, newest first, leased for summarizing.

    Newest first: after a backlog, the articles the next digest needs get their summaries first.
    """
    if limit <= 0:
        return []
    lease_free = or_(
        articles.c.summary_lease_until.is_(None), articles.c.summary_lease_until < now
    )
    # An entry waiting for its page is summarized once, from the page.
    pending = articles.c.summarized_at.is_(None) & articles.c.page_pending.is_(False)
    candidates = (
        select(articles.c.id)
        .where(pending, lease_free)
        .order_by(articles.c.id.desc())
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    stmt = (
        update(articles)
        .where(articles.c.id.in_(candidates.scalar_subquery()), pending, lease_free)
        .values(summary_lease_until=now + timedelta(seconds=lease_seconds))
        .returning(*_ARTICLE_COLUMNS)
    )
    async with store.begin() as conn:
        rows = (await conn.execute(stmt)).all()
    return sorted((article_from_row(row) for row in rows), key=lambda a: -a.id)


@dataclass(frozen=True, slots=True)
class PendingPage:
    """An article whose page is to be fetched: what completing it needs."""

    id: int
    feed_id: int
    url: str
    title: str
    text: str


async def claim_page(
    store: Store, *, now: datetime, lease_seconds: int, skip_feeds: Collection[int] = ()
) -> PendingPage | None:
    """Return the newest article waiting for its page (not of `skip_feeds`), leased; or None."""
    pages = await claim_pages(
        store, now=now, lease_seconds=lease_seconds, limit=1, skip_feeds=skip_feeds
    )
    return pages[0] if pages else None


async def claim_pages(
    store: Store,
    *,
    now: datetime,
    lease_seconds: int,
    limit: int,
    skip_feeds: Collection[int] = (),
) -> list[PendingPage]:
    """Return up to `limit` articles waiting for their page (not of `skip_feeds`), newest
    first, leased."""
    lease_free = or_(articles.c.page_lease_until.is_(None), articles.c.page_lease_until < now)
    waiting = articles.c.page_pending == true()  # as the partial index says (migration 0004)
    candidates = select(articles.c.id).where(waiting, lease_free)
    if skip_feeds:
        candidates = candidates.where(articles.c.feed_id.not_in(list(skip_feeds)))
    # PostgreSQL: a row another worker is claiming is skipped, not waited for (as for feeds).
    candidates = (
        candidates.order_by(articles.c.sort_at.desc(), articles.c.id.desc())
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    stmt = (
        update(articles)
        .where(articles.c.id.in_(candidates.scalar_subquery()), waiting, lease_free)
        .values(page_lease_until=now + timedelta(seconds=lease_seconds))
        .returning(
            articles.c.id,
            articles.c.feed_id,
            articles.c.url,
            articles.c.title,
            articles.c.text,
            articles.c.sort_at,
        )
    )
    async with store.begin() as conn:
        rows = (await conn.execute(stmt)).all()
    # RETURNING has no defined order.
    newest = sorted(rows, key=lambda row: (row.sort_at, row.id), reverse=True)
    return [PendingPage(row.id, row.feed_id, row.url or "", row.title, row.text) for row in newest]


async def release_pages(store: Store, article_ids: Collection[int]) -> None:
    """Give claimed pages back untouched: the next round (or another worker) takes them."""
    if not article_ids:
        return
    stmt = (
        update(articles)
        .where(articles.c.id.in_(list(article_ids)), articles.c.page_pending.is_(True))
        .values(page_lease_until=None)
    )
    async with store.begin() as conn:
        await conn.execute(stmt)


async def renew_page_lease(
    store: Store, article_id: int, *, now: datetime, lease_seconds: int
) -> None:
    """Extend the lease on an article whose page is still being fetched."""
    stmt = (
        update(articles)
        .where(articles.c.id == article_id, articles.c.page_pending.is_(True))
        .values(page_lease_until=now + timedelta(seconds=lease_seconds))
    )
    async with store.begin() as conn:
        await conn.execute(stmt)


async def complete_page(
    store: Store, page: PendingPage, *, text: str | None, now: datetime
) -> None:
    """Store the page's text (None: keep the feed's teaser); the article is ready to summarize.

    Its fetch time becomes `now`: digests show it from the round that completed it on.
    """
    values: dict[str, object] = {
        "page_pending": False,
        "page_lease_until": None,
        "fetched_at": now,
    }
    if text is not None:
        values |= {
            "text": text,
            "text_source": "page",
            "content_hash": content_hash(page.title, text, from_page=True),
        }
    stmt = (
        update(articles)
        .where(articles.c.id == page.id, articles.c.page_pending.is_(True))
        .values(values)
    )
    async with store.begin() as conn:
        await conn.execute(stmt)


async def set_summary(
    store: Store, article_id: int, *, summary: str, language: str, now: datetime
) -> None:
    """Store an article's summary (sentences joined by newlines) and release its lease."""
    await set_summaries(store, [(article_id, summary, language)], now=now, leased_only=False)


async def set_summaries(
    store: Store,
    summaries: Sequence[tuple[int, str, str]],
    *,
    now: datetime,
    leased_only: bool = True,
    also: Callable[[AsyncConnection], Awaitable[object]] | None = None,
) -> None:
    """Store (article id, summary, language) for a batch in one statement; release the leases.

    `also` writes in the same transaction (the alerts the summaries trigger: news.alerts).
    """
    if not summaries:
        return
    where = [articles.c.id == bindparam("b_id")]
    if leased_only:
        where.append(articles.c.summary_lease_until.is_not(None))
    # A story corrected while it was being summarized lost its lease in the upsert: its old
    # summary is not stored, and the new text is summarized on the next round.
    stmt = (
        update(articles)
        .where(*where)
        .values(
            summary=bindparam("b_summary"),
            language=bindparam("b_language"),
            summarized_at=now,
            summary_lease_until=None,
        )
    )
    rows = [{"b_id": i, "b_summary": text, "b_language": lang} for i, text, lang in summaries]
    async with store.begin() as conn:
        await conn.execute(stmt, rows)
        if also is not None:
            await also(conn)


def _with_feed_title() -> Select[Any]:
    return select(*_ARTICLE_COLUMNS, feeds.c.title.label("feed_title")).join(
        feeds, feeds.c.id == articles.c.feed_id
    )


async def get_article(store: Store, article_id: int) -> Article | None:
    """Return the article with this id (with its feed's title), or None."""
    async with store.connect() as conn:
        row = (await conn.execute(_with_feed_title().where(articles.c.id == article_id))).first()
    return article_from_row(row) if row is not None else None


async def articles_between(
    store: Store,
    *,
    since: datetime,
    until: datetime,
    feed_ids: Sequence[int] | None = None,
    limit: int = 200,
) -> list[Article]:
    """Return articles fetched in (since, until], newest first (summary None if pending).

    The window is on fetch time, not on the date a feed claims: an article published
    yesterday but fetched now is new to the reader, and each article falls in exactly one
    digest window, so nothing is missed or repeated between two digests. A teaser waiting for
    its page is left out; its fetch time becomes the time its page round finished with it.
    """
    stmt = _with_feed_title().where(
        articles.c.fetched_at > since,
        articles.c.fetched_at <= until,
        articles.c.page_pending.is_(False),
    )
    if feed_ids is not None:
        stmt = stmt.where(articles.c.feed_id.in_(list(feed_ids)))
    stmt = stmt.order_by(articles.c.fetched_at.desc(), articles.c.id.desc()).limit(limit)
    async with store.connect() as conn:
        rows = (await conn.execute(stmt)).all()
    return [article_from_row(row) for row in rows]


async def newest_article_at(
    store: Store, *, feed_ids: Sequence[int] | None = None
) -> datetime | None:
    """Return the newest sort_at among the articles (of these feeds), or None."""
    stmt = select(func.max(articles.c.sort_at))
    if feed_ids is not None:
        stmt = stmt.where(articles.c.feed_id.in_(list(feed_ids)))
    async with store.connect() as conn:
        newest: datetime | None = (await conn.execute(stmt)).scalar_one()
    return newest


async def article_counts(store: Store) -> dict[str, int]:
    """Return how many articles there are: total and still without a summary."""
    stmt = select(func.count(), func.count().filter(articles.c.summarized_at.is_(None)))
    async with store.connect() as conn:
        total, unsummarized = (await conn.execute(stmt)).one()
    return {"total": total, "unsummarized": unsummarized}


def _fetched_in(since: datetime, until: datetime) -> list[ColumnElement[bool]]:
    """Return the conditions of a digest window: fetched in (since, until], page complete."""
    # A teaser waiting for its page is not a candidate yet; its round sets its fetch time.
    return [
        articles.c.fetched_at > since,
        articles.c.fetched_at <= until,
        articles.c.page_pending.is_(False),
    ]


def _newest_old(
    where: Sequence[ColumnElement[bool]], dated_after: datetime, per_feed: int
) -> Select[Any]:
    """Return each feed's newest `per_feed` articles dated at or before `dated_after`, each row
    with the feed's count of such articles (`dated`)."""
    feed, order = articles.c.feed_id, (articles.c.sort_at.desc(), articles.c.id.desc())
    ranked = (
        select(
            articles.c.id,
            func.row_number().over(partition_by=feed, order_by=order).label("rank"),
            func.count().over(partition_by=feed).label("dated"),
        )
        .where(*where, articles.c.sort_at <= dated_after)
        .subquery()
    )
    return (
        _with_feed_title()
        .add_columns(ranked.c.dated)
        .join(ranked, ranked.c.id == articles.c.id)
        .where(ranked.c.rank <= per_feed)
    )


async def window_candidates(
    store: Store,
    *,
    since: datetime,
    until: datetime,
    feed_ids: Sequence[int] | None,
    limit: int,
    dated_after: datetime,
    per_feed: int,
) -> tuple[list[Article], dict[int, int]]:
    """Return a digest window's candidates, and per feed how many dated ones were left out.

    Candidates: the newest `limit` articles fetched in (since, until] and dated (sort_at) after
    `dated_after`, plus each feed's newest `per_feed` of those dated at or before it.
    """
    where = _fetched_in(since, until)
    if feed_ids is not None:
        where.append(articles.c.feed_id.in_(list(feed_ids)))
    recent = (
        _with_feed_title()
        .where(*where, articles.c.sort_at > dated_after)
        .order_by(articles.c.fetched_at.desc(), articles.c.id.desc())
        .limit(limit)
    )
    older = _newest_old(where, dated_after, per_feed)
    async with store.connect() as conn:
        found = [article_from_row(row) for row in await conn.execute(recent)]
        dated: dict[int, int] = {}
        kept: Counter[int] = Counter()
        for row in await conn.execute(older):
            found.append(article_from_row(row))
            dated[row.feed_id] = row.dated
            kept[row.feed_id] += 1
    return found, {feed_id: n - kept[feed_id] for feed_id, n in dated.items() if n > kept[feed_id]}


@dataclass(frozen=True, slots=True)
class WindowPool:
    """One digest window's candidates for every feed at once (news.digests, many chats each
    reading feeds of their own): per feed its newest recent articles (fetched_at, id
    descending), and its newest old ones with how many old ones were left out."""

    recent: dict[int, list[Article]]
    older: dict[int, tuple[list[Article], int]]


async def window_pool(
    store: Store,
    *,
    since: datetime,
    until: datetime,
    dated_after: datetime,
    per_feed: int,
    per_feed_old: int,
) -> WindowPool:
    """Return the window's candidates of every feed, as window_candidates would give them for
    any set of feeds: each feed's newest `per_feed` recent ones, and newest `per_feed_old` old."""
    where = _fetched_in(since, until)
    feed = articles.c.feed_id
    ranked_recent = (
        select(
            articles.c.id,
            func.row_number()
            .over(partition_by=feed, order_by=(articles.c.fetched_at.desc(), articles.c.id.desc()))
            .label("rank"),
        )
        .where(*where, articles.c.sort_at > dated_after)
        .subquery()
    )
    recent_stmt = (
        _with_feed_title()
        .join(ranked_recent, ranked_recent.c.id == articles.c.id)
        .where(ranked_recent.c.rank <= per_feed)
        .order_by(articles.c.fetched_at.desc(), articles.c.id.desc())
    )
    old_stmt = _newest_old(where, dated_after, per_feed_old)
    recent: dict[int, list[Article]] = {}
    older: dict[int, tuple[list[Article], int]] = {}
    async with store.connect() as conn:
        for row in await conn.execute(recent_stmt):
            recent.setdefault(row.feed_id, []).append(article_from_row(row))
        for row in await conn.execute(old_stmt):
            kept, dated = older.get(row.feed_id, ([], int(row.dated)))
            kept.append(article_from_row(row))
            older[row.feed_id] = (kept, dated)
    return WindowPool(recent, {f: (kept, n - len(kept)) for f, (kept, n) in older.items()})

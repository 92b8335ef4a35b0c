"""Adding a feed: the one use case that checks a URL, reads the feed and stores it.

The bot's /addfeed and the command line's `feeds add` and `feeds import` all call add_feed;
a chat's /add calls add_source, which finds the feed a home page names (news.discover), checks
the operator's limits and makes the feed one of the chat's sources. What a fetch read is kept,
as a poll would keep it: the entries, the ETag and Last-Modified, so the first poll, due at
once, does not download the feed again (the server answers 304).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx

from news import words
from news.discover import FoundFeed, feed_links, looks_like_html, usual_urls
from news.errors import BlockedURLError, FetchError, NewsbotError, ParseError
from news.feedurl import url_key
from news.fetch import Fetcher, check_url, is_public_address
from news.models import Feed, FetchResult, ParsedFeed
from news.opml import read_outlines, write_opml
from news.refresh import RefreshResult, is_local, parse_fetched, store_fetched
from news.settings import Settings
from news.storage import feeds as feed_store
from news.storage import sources as source_store
from news.storage.db import Store
from news.tghtml import append_lines

FAILING_FOR = timedelta(hours=24)  # a feed failing this long is news to its readers
GONE_404_FOR = timedelta(days=3)  # a 404 this long means gone (a 410 says so at once)
_STATUS = re.compile(r"\bHTTP (\d{3})\b")
ADD_WINDOW = timedelta(hours=1)  # adds_per_hour counts the adds of this last stretch
NEWEST_SHOWN = 3


class LimitError(NewsbotError):
    """An operator's limit refuses the add; the message says which and what to do."""


@dataclass(frozen=True, slots=True)
class AddedFeed:
    """A feed as add_feed left it: the row, whether it is new, the entries it had."""

    feed: Feed
    created: bool
    entries: int = 0  # in the feed when it was read (0 when not read)


async def add_feed(
    store: Store,
    fetcher: Fetcher,
    url: str,
    settings: Settings,
    *,
    now: datetime,
    title: str | None = None,
    read: bool = True,
    allow_file: bool = False,
) -> AddedFeed:
    """Return the feed stored for `url` (due at once), read first unless `read` is off.

    Raises BlockedURLError for a refused URL, FetchError or ParseError when it is no feed.
    """
    url = check_url(url, allow_file=allow_file)
    if not read:
        feed, created = await feed_store.add_feed(store, url, now=now, title=title)
        return AddedFeed(feed, created)
    fetched = await fetcher.fetch(url, allow_file=allow_file and is_local(url))
    parsed = await parse_fetched(fetched)
    return await _store_read(store, url, fetched, parsed, settings, now=now, title=title)


async def _store_read(
    store: Store,
    url: str,
    fetched: FetchResult,
    parsed: ParsedFeed,
    settings: Settings,
    *,
    now: datetime,
    title: str | None = None,
    default: bool = True,
) -> AddedFeed:
    # Due only once its entries and ETag are stored: a worker polling it before would fetch it
    # without them.
    later = now + timedelta(seconds=settings.min_check_interval)
    feed, created = await feed_store.add_feed(
        store, url, now=now, title=parsed.title or title, next_check_at=later, default=default
    )
    if created:
        result = RefreshResult(feed.id, url, "ok")
        await store_fetched(
            store, feed.id, fetched, parsed, settings, now=now, result=result, due_now=True
        )
        feed = await feed_store.get_feed(store, feed.id) or feed
    return AddedFeed(feed, created, len(parsed.entries))


@dataclass(frozen=True, slots=True)
class SourceAdded:
    """What /add did: the chat's new source (or the one it had), or the feeds to choose from."""

    feed: Feed | None = None
    already: bool = False  # the chat had this source before
    newest: list[tuple[str, str | None]] = field(default_factory=list)  # (title, link)
    choices: list[FoundFeed] = field(default_factory=list)  # several feeds found: pick one


async def add_source(
    store: Store,
    fetcher: Fetcher,
    chat_id: int,
    url: str,
    settings: Settings,
    *,
    now: datetime,
) -> SourceAdded:
    """Return the chat's source for `url` (a feed, or a page naming exactly one feed).

    A page naming several feeds returns them as choices and adds nothing. Raises LimitError,
    BlockedURLError, FetchError, or ParseError (the reason says why it is no feed).
    """
    url = check_url(url)
    async with store.connect() as conn:
        known = await source_store.find_feed(conn, url_key(url))
    if known is not None:
        return await _make_source(store, chat_id, known, settings, now=now)
    await _check_limits(store, chat_id, settings, now=now, new_feed=True)
    fetched = await fetcher.fetch(url)
    try:
        parsed = await parse_fetched(fetched)
    except ParseError:
        if not looks_like_html(fetched.body, fetched.content_type):
            raise
        found = await _discover(fetcher, fetched)
        if len(found) != 1:
            return SourceAdded(choices=found)
        url, fetched, parsed = found[0].url, *await _read(fetcher, found[0].url)
    added = await _store_read(store, url, fetched, parsed, settings, now=now, default=False)
    return await _make_source(store, chat_id, added.feed, settings, now=now)


async def _read(fetcher: Fetcher, url: str) -> tuple[FetchResult, ParsedFeed]:
    fetched = await fetcher.fetch(url)
    return fetched, await parse_fetched(fetched)


async def _discover(fetcher: Fetcher, page: FetchResult) -> list[FoundFeed]:
    """Return the feeds a page names, else those at the site's usual paths; ParseError if none."""
    found = feed_links(page.body, page.url)
    if not found:
        for candidate in usual_urls(page.url):
            try:
                fetched, parsed = await _read(fetcher, candidate)
            except (FetchError, ParseError):
                continue
            found.append(FoundFeed(fetched.url, parsed.title))
            break  # /feed and /rss are often one feed twice: the first that reads is enough
    if not found:
        raise ParseError(words.NO_FEED_ON_PAGE)
    return found


async def _check_limits(
    store: Store, chat_id: int, settings: Settings, *, now: datetime, new_feed: bool
) -> None:
    async with store.connect() as conn:
        if await source_store.count_sources(conn, chat_id) >= settings.feeds_per_chat:
            raise LimitError(words.too_many_sources(settings.feeds_per_chat))
        added = await source_store.count_added_since(conn, chat_id, now - ADD_WINDOW)
        if added >= settings.adds_per_hour:
            raise LimitError(words.too_many_adds(settings.adds_per_hour))
        if new_feed and await source_store.count_feeds(conn) >= settings.max_feeds:
            raise LimitError(words.FEEDS_FULL)


async def _make_source(
    store: Store, chat_id: int, feed: Feed, settings: Settings, *, now: datetime
) -> SourceAdded:
    async with store.connect() as conn:
        had = feed.id in await source_store.source_ids(conn, chat_id)
    if not had:
        await _check_limits(store, chat_id, settings, now=now, new_feed=False)
        async with store.begin() as conn:
            had = not await source_store.add(conn, chat_id, [feed.id], now)
            if not had:
                await source_store.record_add(conn, chat_id, now)
    newest = await source_store.newest_items(store, feed.id, NEWEST_SHOWN)
    return SourceAdded(feed=feed, already=had, newest=newest)


async def chat_feeds(store: Store, chat_id: int) -> list[Feed]:
    """Return the feeds a chat may choose among in its settings: the defaults and its own."""
    async with store.connect() as conn:
        ids = set(await source_store.default_feed_ids(conn))
        ids |= set(await source_store.source_ids(conn, chat_id))
    return [feed for feed in await feed_store.list_feeds(store) if feed.id in ids]


# An OPML file a chat sends: refused above this size before it is downloaded (Telegram says
# the size), and above this many outlines once read.
MAX_OPML_BYTES = 2 * 1024 * 1024
MAX_OUTLINES = 5000


@dataclass(frozen=True, slots=True)
class Imported:
    """What an OPML import did: feeds added, those the chat had, and each refusal with why."""

    added: int = 0
    already: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)  # (url, why)


def _checked(url: str, settings: Settings) -> str:
    """Return the URL an OPML line names, checked; BlockedURLError says why not."""
    url = check_url(url)
    if not settings.allow_private_networks:
        try:
            private = not is_public_address(httpx.URL(url).host)
        except ValueError:
            private = False  # a host name: the guard resolves it on every hop when polled
        if private:
            raise BlockedURLError(words.PRIVATE_ADDRESS)
    return url


async def import_opml(
    store: Store, chat_id: int, data: bytes, settings: Settings, *, now: datetime
) -> Imported:
    """Return what importing an OPML file into the chat's sources did; OPMLError if unreadable.

    The feeds are not read now: the next polls read them (and a failing one shows in /sources).
    The per-chat and overall limits apply to each; the adds-per-hour limit counts the import once.
    """
    listed = read_outlines(data, max_outlines=MAX_OUTLINES)
    async with store.connect() as conn:
        have = set(await source_store.source_ids(conn, chat_id))
        total = await source_store.count_feeds(conn)
    added: list[int] = []
    already = 0
    refused: list[tuple[str, str]] = []
    for item in listed:
        try:
            url = _checked(item.url, settings)
        except BlockedURLError as exc:
            refused.append((item.url, words.reason(exc)))
            continue
        async with store.connect() as conn:
            feed = await source_store.find_feed(conn, url_key(url))
        if feed is not None and (feed.id in have or feed.id in added):
            already += feed.id in have  # another spelling of a line above is not counted
            continue
        if len(have) + len(added) >= settings.feeds_per_chat:
            refused.append((item.url, words.sources_full_short(settings.feeds_per_chat)))
            continue
        if feed is None:
            if total >= settings.max_feeds:
                refused.append((item.url, words.FEEDS_FULL_SHORT))
                continue
            feed, created = await feed_store.add_feed(
                store, url, now=now, title=item.title, default=False
            )
            total += created
        async with store.begin() as conn:
            new = await source_store.add(conn, chat_id, [feed.id], now)
        if new:
            added.append(feed.id)
        else:
            already += 1  # the same file, sent twice at once, got there first
    if added:
        async with store.begin() as conn:
            await source_store.record_add(conn, chat_id, now)
    return Imported(added=len(added), already=already, refused=refused)


async def export_opml(store: Store, chat_id: int) -> str:
    """Return the chat's sources as an OPML document."""
    listed = await source_store.list_sources(store, chat_id)
    return write_opml([source.feed for source in listed], title="newsbot sources")


@dataclass(frozen=True, slots=True)
class Trouble:
    """A source its readers should hear about: failing for a day, or gone."""

    feed: Feed
    gone: bool
    why: str


def trouble(feed: Feed, now: datetime) -> Trouble | None:
    """Return what is wrong with a feed worth telling its readers, or None."""
    if not feed.error_count:
        return None
    since = feed.last_success_at or feed.created_at or now
    why = words.reason(Exception(feed.last_error or "not read"))
    found = _STATUS.search(feed.last_error or "")
    status = int(found[1]) if found else None
    if status == 410 or (status == 404 and since <= now - GONE_404_FOR):
        return Trouble(feed, True, why)
    if since <= now - FAILING_FOR:
        return Trouble(feed, False, why)
    return None


async def troubled_feeds(store: Store, now: datetime) -> dict[int, Trouble]:
    """Return the feeds failing for a day or gone, by id."""
    found = (trouble(feed, now) for feed in await source_store.failing_feeds(store))
    return {t.feed.id: t for t in found if t is not None}


MAX_TROUBLE_BUTTONS = 3
_Buttons = list[list[tuple[str, str]]]


def with_trouble(
    parts: list[str],
    buttons: _Buttons,
    troubled: dict[int, Trouble],
    feed_ids: Sequence[int] | None,
) -> tuple[list[str], _Buttons]:
    """Return a digest's messages and buttons with a line, and a Remove button, for each of
    the chat's sources failing for a day or gone."""
    found = [troubled[f] for f in feed_ids or () if f in troubled]
    if not found or not parts:
        return parts, buttons
    lines = [words.source_trouble(t.feed.title or t.feed.url, t.why, gone=t.gone) for t in found]
    removes = [
        [(words.remove_source(t.feed.title or t.feed.url), f"src:drop:{t.feed.id}")]
        for t in found[:MAX_TROUBLE_BUTTONS]
    ]
    return append_lines(parts, lines), [*buttons, *removes]

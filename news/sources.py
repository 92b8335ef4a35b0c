"""Adding a feed: the one use case that checks a URL, reads the feed and stores it.

The bot's /addfeed and the command line's `feeds add` and `feeds import` all call add_feed.
What its fetch read is kept, as a poll would keep it: the entries, the ETag and Last-Modified,
so the first poll, due at once, does not download the feed again (the server answers 304).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from news.fetch import Fetcher, check_url
from news.models import Feed
from news.refresh import RefreshResult, is_local, parse_fetched, store_fetched
from news.settings import Settings
from news.storage import feeds as feed_store
from news.storage.db import Store


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
    # Due only once its entries and ETag are stored: a worker polling it before would fetch it
    # without them.
    later = now + timedelta(seconds=settings.min_check_interval)
    feed, created = await feed_store.add_feed(
        store, url, now=now, title=parsed.title or title, next_check_at=later
    )
    if created:
        result = RefreshResult(feed.id, url, "ok")
        await store_fetched(
            store, feed.id, fetched, parsed, settings, now=now, result=result, due_now=True
        )
        feed = await feed_store.get_feed(store, feed.id) or feed
    return AddedFeed(feed, created, len(parsed.entries))

"""Feed bytes -> ParsedFeed: feedparser for RSS/Atom/RDF, json for JSON Feed.

Every entry leaves here normalized: a stable identity hash (see `identity`), a one-line title,
an absolute link, a UTC date (or None) and plain text (one paragraph per line).

    body.py      gzip, UTF-16 and crash-prone character references, before any parsing
    rss.py       RSS, Atom and RDF through feedparser
    jsonfeed.py  JSON Feed
    common.py    the draft entry and field normalizers both readers use
    identity.py  the entry hash
"""

from __future__ import annotations

import logging

from news.errors import ParseError
from news.models import ParsedEntry, ParsedFeed
from news.parse.body import is_blank, is_json, prepare
from news.parse.common import UNTITLED
from news.parse.identity import EntryIdentity, entry_hash, entry_hashes
from news.parse.jsonfeed import parse_json
from news.parse.rss import parse_xml

__all__ = ["UNTITLED", "EntryIdentity", "entry_hash", "entry_hashes", "parse_feed"]

log = logging.getLogger(__name__)


def parse_feed(body: bytes, *, url: str, content_type: str | None = None) -> ParsedFeed:
    """Return the feed in `body` (fetched from `url`), entries normalized; raise ParseError."""
    data, content_type = prepare(body, content_type)
    if is_blank(data):
        raise ParseError("parse: empty document")
    if is_json(data, content_type):
        channel, drafts = parse_json(data, url)
    else:
        channel, drafts = parse_xml(data, url, content_type)
    if not drafts and not channel.title:
        raise ParseError("parse: no entries and no feed title")
    # A GUID or link equal to the feed's own URL or home page names the feed, not an item.
    channel_urls = {u for u in (url, channel.site_url) if u}
    hashes = entry_hashes([d.identity for d in drafts], channel_urls=channel_urls)
    entries = [
        ParsedEntry(
            entry_hash=h,
            title=d.title,
            url=d.identity.link,
            guid=d.identity.guid,
            author=d.author or channel.author,
            published_at=d.published_at,
            text=d.identity.text,
        )
        for h, d in zip(hashes, drafts, strict=True)
    ]
    log.debug("feed parsed url=%s entries=%d", url, len(entries))
    return ParsedFeed(
        title=channel.title,
        site_url=channel.site_url,
        entries=entries,
        ttl_minutes=channel.ttl_minutes,
        language=channel.language,
    )

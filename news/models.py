"""The domain's value objects: frozen, slotted dataclasses handed between stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Feed:
    """A subscribed source, as stored."""

    id: int
    url: str
    title: str | None = None
    site_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    next_check_at: datetime | None = None
    last_checked_at: datetime | None = None
    last_success_at: datetime | None = None
    error_count: int = 0
    last_error: str | None = None
    enabled: bool = True
    is_default: bool = False  # one of the operator's feeds, which new subscribers start with
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What a GET returned: the body (empty on 304) and the caching headers we keep."""

    url: str
    status: int
    body: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    cache_control: str | None = None
    expires: str | None = None
    retry_after: float | None = None
    moved_to: str | None = None  # every redirect on the way was permanent (301/308): the new URL

    @property
    def not_modified(self) -> bool:
        """Return whether the server said 304 Not Modified."""
        return self.status == 304


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    """One item of a feed, normalized: UTC date, absolute link, plain text."""

    entry_hash: str
    title: str
    url: str | None = None
    guid: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    text: str = ""


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed feed document."""

    title: str | None
    site_url: str | None
    entries: list[ParsedEntry] = field(default_factory=list)
    ttl_minutes: int | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class Article:
    """A stored article with its summary (None until summarized)."""

    id: int
    feed_id: int
    title: str
    url: str | None
    published_at: datetime | None
    fetched_at: datetime
    text: str
    summary: str | None = None
    language: str | None = None
    author: str | None = None
    feed_title: str | None = None


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One search result: the article, a snippet with the match, and its rank (lower is better)."""

    article: Article
    snippet: str
    rank: float


@dataclass(frozen=True, slots=True)
class Term:
    """One word or phrase of a search as typed; `prefix`: it matches the starts of words."""

    text: str
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """A search: an AND of groups, each an OR of terms, minus the excluded terms."""

    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...] = ()
    truncated: bool = False

    @property
    def terms(self) -> list[Term]:
        """Return every term that must (or may, within an OR) match."""
        return [term for group in self.groups for term in group]


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of search results, and whether another page follows."""

    hits: list[SearchHit]
    has_more: bool


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One article as it appears in a digest."""

    article_id: int
    title: str
    source: str
    url: str | None
    published_at: datetime | None
    summary: list[str]
    feed_id: int | None = None  # the lead article's source (its Mute button)


@dataclass(frozen=True, slots=True)
class Digest:
    """The articles of a window, deduplicated and ordered."""

    since: datetime
    until: datetime
    items: list[DigestItem]
    total: int = 0
    # (source, count) of a window's old items left out of it, one per source (news.digests).
    older: tuple[tuple[str, int], ...] = ()
    filtered: int = 0  # stories the chat's filters held back (news.filters)

    @property
    def empty(self) -> bool:
        """Return whether there is nothing to send."""
        return not self.items


@dataclass(frozen=True, slots=True)
class Subscription:
    """A chat's subscription and its digest preferences."""

    id: int
    chat_id: int
    chat_type: str
    active: bool
    digest_times: tuple[str, ...]
    timezone: str
    frequency: str
    max_articles: int
    feed_ids: tuple[int, ...] | None
    link_previews: bool
    last_digest_at: datetime | None
    next_digest_at: datetime | None
    title: str | None = None
    # The chat's sources muted until a time (feed id, until); feed_ids still lists them.
    muted: tuple[tuple[int, datetime], ...] = ()
    thread_id: int | None = None  # the forum topic its digests go to (None: the chat itself)

    def feeds_at(self, at: datetime) -> tuple[int, ...] | None:
        """Return the feeds the chat's digest at `at` reads: its sources, minus those muted."""
        if self.feed_ids is None or not self.muted:
            return self.feed_ids
        quiet = {feed_id for feed_id, until in self.muted if until > at}
        return tuple(f for f in self.feed_ids if f not in quiet)


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One message waiting to be sent (or sent, or failed)."""

    id: int
    chat_id: int
    slot: str
    part: int
    text: str
    link_previews: bool
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None = None
    buttons: str | None = None  # JSON rows of [label, callback data]
    thread_id: int | None = None  # the forum topic it goes to


@dataclass(frozen=True, slots=True)
class SavedQuery:
    """A chat's filter or alert: a query in the search language; a filter may name a source."""

    id: int
    chat_id: int
    query: str
    feed_id: int | None = None

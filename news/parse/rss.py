"""RSS 0.9x/1.0/2.0, Atom and RDF through feedparser, normalized into drafts."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime

import feedparser

from news.errors import ParseError
from news.parse.body import defuse, looks_like_html_page
from news.parse.common import (
    Channel,
    Draft,
    absolute_link,
    final_title,
    language_tag,
    plausible,
    ttl_minutes,
)
from news.parse.identity import EntryIdentity
from news.text import html_to_text, looks_like_html, one_line, plain_text

log = logging.getLogger(__name__)


def parse_xml(data: bytes, url: str, content_type: str | None) -> tuple[Channel, list[Draft]]:
    """Return the channel and entry drafts of an RSS, Atom or RDF document; raise ParseError."""
    headers = {"content-type": content_type} if content_type else {}
    # Content links are reduced to text, so neither sanitizing nor resolving them is needed
    # (and the sanitizer is the slow part of feedparser on large feeds).
    try:
        doc = feedparser.parse(
            defuse(data),
            response_headers=headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    # feedparser's lenient fallback parser trips over some broken documents (a georss end tag
    # without its start: KeyError; deep nesting: RecursionError). Such bytes are not a feed.
    except (LookupError, ValueError, TypeError, AttributeError, RecursionError) as exc:
        raise ParseError(f"parse: not a feed (unreadable: {type(exc).__name__})") from exc
    entries = doc.get("entries") or []
    meta = doc.get("feed") or {}
    if not doc.get("version") and not entries:
        if looks_like_html_page(data):
            raise ParseError("parse: not a feed (looks like an HTML page)")
        if not _title_of(meta):
            reason = _bozo_reason(doc) or "no RSS, Atom or RDF root element"
            raise ParseError(f"parse: not a feed ({reason})")
    if doc.get("bozo"):
        log.debug("feed is malformed url=%s reason=%s", url, _bozo_reason(doc))
    channel = Channel(
        title=_title_of(meta) or None,
        site_url=absolute_link(url, meta.get("link")),
        ttl_minutes=ttl_minutes(meta.get("ttl")),
        language=language_tag(meta.get("language")),
        author=_author(meta),
    )
    return channel, [_draft(entry, url) for entry in entries if isinstance(entry, Mapping)]


def _bozo_reason(doc: Mapping[str, object]) -> str:
    exc = doc.get("bozo_exception")
    # SAX messages start with "<unknown>:LINE:COLUMN:" (no file name when parsing bytes).
    return one_line(str(exc)).replace("<unknown>:", "line ", 1)[:200] if exc else ""


def _draft(entry: Mapping[str, object], url: str) -> Draft:
    text = _entry_text(entry)
    raw_title = _title_of(entry)
    guid = entry.get("id")
    identity = EntryIdentity(
        guid=one_line(guid) or None if isinstance(guid, str) else None,
        link=absolute_link(url, entry.get("link")),
        title=raw_title,
        text=text,
    )
    published = _struct_date(entry.get("published_parsed")) or _struct_date(
        entry.get("updated_parsed")
    )
    return Draft(identity, final_title(raw_title, text), _author(entry), published)


def _title_of(node: Mapping[str, object]) -> str:
    """Return a title on one line: markup stripped when feedparser says (or it looks like) HTML."""
    value = node.get("title")
    if not isinstance(value, str):
        return ""
    detail = node.get("title_detail")
    kind = detail.get("type", "") if isinstance(detail, Mapping) else ""
    return one_line(_to_text(value, kind if isinstance(kind, str) else ""))


def _to_text(value: str, kind: str) -> str:
    if "html" in kind or (not kind.startswith("text/") and looks_like_html(value)):
        return html_to_text(value)
    return plain_text(value)


def _entry_text(entry: Mapping[str, object]) -> str:
    """Return the longest readable text among the entry's content and summary."""
    candidates: list[Mapping[str, object]] = []
    content = entry.get("content")
    if isinstance(content, list):
        candidates.extend(c for c in content if isinstance(c, Mapping))
    summary = entry.get("summary_detail")
    if isinstance(summary, Mapping):
        candidates.append(summary)
    return max((_detail_text(c) for c in candidates), key=len, default="")


def _detail_text(detail: Mapping[str, object]) -> str:
    """Return the text of one of feedparser's {"type", "value"} content dicts."""
    value, kind = detail.get("value"), detail.get("type")
    return _to_text(value, kind if isinstance(kind, str) else "") if isinstance(value, str) else ""


def _struct_date(value: object) -> datetime | None:
    """Return feedparser's parsed date (a UTC struct_time) as an aware datetime."""
    if not isinstance(value, time.struct_time):
        return None
    try:
        return plausible(datetime(*value[:6], tzinfo=UTC))
    except (ValueError, OverflowError):
        return None


def _author(node: Mapping[str, object]) -> str | None:
    detail = node.get("author_detail")
    name = detail.get("name") if isinstance(detail, Mapping) else None
    if not isinstance(name, str) or not name.strip():
        name = node.get("author")
    return one_line(html_to_text(name))[:200] or None if isinstance(name, str) else None

"""JSON Feed (https://jsonfeed.org, versions 1 and 1.1), which feedparser 6 cannot read."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from news.errors import ParseError
from news.parse.common import (
    Channel,
    Draft,
    absolute_link,
    final_title,
    language_tag,
    plausible,
)
from news.parse.identity import EntryIdentity
from news.text import html_to_text, one_line, plain_text


def parse_json(data: bytes, url: str) -> tuple[Channel, list[Draft]]:
    """Return the channel and entry drafts of a JSON Feed document; raise ParseError."""
    try:
        doc = json.loads(data.decode("utf-8-sig", "replace"))
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"parse: not a feed (invalid JSON: {one_line(str(exc))[:120]})") from exc
    version = doc.get("version") if isinstance(doc, dict) else None
    if not isinstance(version, str) or "jsonfeed.org/version/" not in version:
        raise ParseError("parse: not a feed (JSON, but not a JSON Feed)")
    channel = Channel(
        # Titles are plain text by the spec, but feeds escape them anyway, as in RSS.
        title=one_line(html_to_text(_str(doc.get("title")))) or None,
        site_url=absolute_link(url, doc.get("home_page_url")),
        ttl_minutes=None,
        language=language_tag(doc.get("language")),
        author=_author(doc),
    )
    items = doc.get("items")
    if not isinstance(items, list):
        return channel, []
    return channel, [_draft(item, url) for item in items if isinstance(item, dict)]


def _draft(item: dict[str, object], url: str) -> Draft:
    texts = [
        html_to_text(_str(item.get("content_html"))),
        plain_text(_str(item.get("content_text"))),
        plain_text(_str(item.get("summary"))),
    ]
    text = max(texts, key=len)
    raw_id = item.get("id")
    # The spec says a string; numbers are common in the wild. Never a bool or a list.
    valid_id = isinstance(raw_id, str | int) and not isinstance(raw_id, bool)
    raw_title = one_line(html_to_text(_str(item.get("title"))))
    identity = EntryIdentity(
        guid=one_line(str(raw_id)) or None if valid_id else None,
        link=absolute_link(url, item.get("url")) or absolute_link(url, item.get("external_url")),
        title=raw_title,
        text=text,
    )
    published = _date(item.get("date_published")) or _date(item.get("date_modified"))
    return Draft(identity, final_title(raw_title, text), _author(item), published)


def _author(node: dict[str, object]) -> str | None:
    authors = node.get("authors")  # 1.1; "author" is version 1's single author
    first = authors[0] if isinstance(authors, list) and authors else node.get("author")
    name = first.get("name") if isinstance(first, dict) else None
    return one_line(_str(name))[:200] or None


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _date(value: object) -> datetime | None:
    """Return an RFC 3339 date as UTC; None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    # RFC 3339 requires an offset; a naive time is most likely UTC.
    return plausible(
        moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    )

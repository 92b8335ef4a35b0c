"""What the RSS/Atom and JSON Feed readers share: the draft entry and field normalizers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from news.fetch.urls import MAX_URL_LENGTH
from news.parse.identity import EntryIdentity
from news.text import first_words, one_line

# Dates outside this range are placeholders or typos ("0001-01-01", "9999-12-31", epoch 0).
MIN_YEAR, MAX_YEAR = 1990, 2100
UNTITLED = "(untitled)"
# Longer titles are cut at a word: a headline, not a feed's whole text put in <title>.
MAX_TITLE_CHARS = 300
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")


@dataclass(frozen=True, slots=True)
class Draft:
    """An entry before its identity hash is known."""

    identity: EntryIdentity
    title: str
    author: str | None
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class Channel:
    """The feed-level fields."""

    title: str | None
    site_url: str | None
    ttl_minutes: int | None
    language: str | None
    author: str | None


def final_title(title: str, text: str) -> str:
    """Return the entry's title (clipped), or its text's first words, or UNTITLED."""
    if len(title) > MAX_TITLE_CHARS:
        return first_words(title, words=MAX_TITLE_CHARS, max_chars=MAX_TITLE_CHARS)
    return title or (first_words(text) if text else UNTITLED)


def plausible(moment: datetime) -> datetime | None:
    """Return the date when its year is plausible for a feed entry, else None."""
    return moment if MIN_YEAR <= moment.year <= MAX_YEAR else None


def absolute_link(base: str, link: object) -> str | None:
    """Return `link` resolved against the feed's URL; None unless http(s) or the feed's scheme."""
    if not isinstance(link, str) or not link.strip():
        return None
    try:
        resolved = urljoin(base, one_line(link))
        scheme = urlsplit(resolved).scheme.lower()
        base_scheme = urlsplit(base).scheme.lower()
    except ValueError:  # e.g. an invalid IPv6 literal in the link
        return None
    if len(resolved) > MAX_URL_LENGTH:  # browsers and Telegram give up near here too
        return None  # no browser opens it, and PostgreSQL's index refuses such a row
    # A feed read from disk (file:) may link to pages on disk; a feed from the web may not.
    return resolved if scheme in {"http", "https", base_scheme} else None


def ttl_minutes(value: object) -> int | None:
    """Return RSS <ttl> as minutes, None when absent or absurd."""
    text = value.strip() if isinstance(value, str) else ""
    minutes = int(text) if text.isdigit() and len(text) < 8 else 0
    # More than 30 days is a typo or a dead feed; the cadence clamps it either way.
    return minutes if 0 < minutes <= 30 * 24 * 60 else None


def language_tag(value: object) -> str | None:
    """Return a language tag like "en-us", None when the value is not one."""
    text = one_line(value) if isinstance(value, str) else ""
    return text.lower().replace("_", "-") if _LANGUAGE.fullmatch(text) else None

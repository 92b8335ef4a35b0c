"""Terminal output of the command line: plain text, one place for its wording."""

from __future__ import annotations

import re
import sys
import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import charset_normalizer

from news.digests import Digests
from news.errors import NewsbotError
from news.models import Feed, SearchHit
from news.render import render_text
from news.storage import articles as article_store
from news.storage.db import Store
from news.storage.sources import ChatSource
from news.text import first_words

_DURATION = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
# How much of a query that found nothing is repeated back.
QUERY_WORDS, QUERY_CHARS = 20, 100
# Snippet match markers, as news.snippets writes them.
_MARKS = str.maketrans({"\x02": "", "\x03": ""})


def say(text: str) -> None:
    """Print a line of output."""
    print(text)


def warn(text: str) -> None:
    """Print a warning on stderr."""
    print(f"warning: {text}", file=sys.stderr)


def fail(text: str) -> int:
    """Print an error on stderr and return the exit status 1."""
    print(f"newsbot: {text}", file=sys.stderr)
    return 1


def read_source(source: str) -> bytes:
    """Return the bytes of a file path, a file: URL or `-` (standard input)."""
    if source == "-":
        return sys.stdin.buffer.read()
    path = Path(source.removeprefix("file://"))
    try:
        return path.read_bytes()
    except OSError as exc:
        raise NewsbotError(f"cannot read {source}: {exc.strerror}") from exc


def read_text(source: str) -> str:
    """Return the text of a file path, file: URL or `-`; refuse empty files and binary data."""
    raw = read_source(source)
    name = "standard input" if source == "-" else source
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        # Not UTF-8: an older encoding (cp1251, latin-1...), or no text at all.
        best = charset_normalizer.from_bytes(raw).best()
        if best is None:
            raise NewsbotError(f"{name} is binary data, not text") from None
        text = str(best)
    if not text.strip():
        raise NewsbotError(f"{name} is empty: there is no text in it")
    return text


def parse_since(value: str, now: datetime) -> datetime:
    """Return the start of a window given as 30m, 24h, 7d, 2w or an ISO date/time (UTC)."""
    match = _DURATION.match(value)
    if match:
        amount, unit = int(match.group(1)), _UNITS[match.group(2).lower()]
        return now - timedelta(**{unit: amount})
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"--since {value!r}: use a duration like 30m, 24h, 7d or a date like 2026-11-20"
        ) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def feed_table(feeds: Sequence[Feed]) -> str:
    """Return the feeds as an aligned table."""
    rows = [("ID", "TITLE", "LAST OK", "ERRORS", "URL")]
    for feed in feeds:
        title = (feed.title or "(not polled yet)")[:40]
        errors = str(feed.error_count) if feed.error_count else "-"
        rows.append((str(feed.id), title, _when(feed.last_success_at), errors, feed.url))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[4]
        for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines)


def source_table(sources: Sequence[ChatSource], at: datetime) -> str:
    """Return a chat's sources as an aligned table: feed, last good read, this week, state."""
    rows = [("ID", "TITLE", "LAST OK", "WEEK", "STATE", "URL")]
    for source in sources:
        feed = source.feed
        state = []
        if source.muted_at(at):
            state.append(f"muted until {_when(source.muted_until)}")
        if source.digest_only:
            state.append("digest only")
        if feed.error_count:
            state.append(f"failing: {(feed.last_error or '')[:40]}")
        rows.append((str(feed.id), (feed.title or "(not polled yet)")[:40],
                     _when(feed.last_success_at), str(source.week_items),
                     "; ".join(state) or "-", feed.url))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[5]
        for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines)


async def digest_text(store: Store, *, since: datetime, until: datetime, limit: int) -> str:
    """Return the plain-text digest of the articles stored in (since, until]."""
    digest = await Digests(store).make(since=since, until=until, feed_ids=None, limit=limit)
    if digest.empty:
        newest = await article_store.newest_article_at(store)
        return f"Nothing new since {_when(since)}. Newest article: {_when(newest)}."
    return render_text(digest, now=until)


def search_text(hits: Sequence[SearchHit], query: str) -> str:
    """Return search results as numbered plain-text entries, best first."""
    if not hits:
        # A pasted page as the query is not echoed back whole.
        return (
            f"No articles match {first_words(query, words=QUERY_WORDS, max_chars=QUERY_CHARS)!r}."
        )
    blocks = []
    for number, hit in enumerate(hits, start=1):
        article = hit.article
        meta = " · ".join(x for x in (article.feed_title, _when(article.published_at)) if x)
        snippet = textwrap.fill(
            hit.snippet.translate(_MARKS), width=88, initial_indent="   ", subsequent_indent="   "
        )
        lines = [f"{number}. {article.title}", f"   {meta}", snippet]
        if article.url:
            lines.append(f"   {article.url}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)

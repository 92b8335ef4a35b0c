"""Render digests, article cards and search results: plain text, and HTML for Telegram.

Telegram messages. Every feed-supplied string goes through news.tghtml (escape, link), and
render_html() packs one block per article with tghtml.split_html, so messages break only between
articles. Each message's *raw* HTML is at most 4096 UTF-16 code units; Telegram's own limit is
4096 after entity parsing (also UTF-16 units), which the raw bound implies, and the raw bound
also satisfies a Bot API implementation that measures the text as sent. Each article card is
built to fit in one message on its own (title, source and summary are clipped, a very long URL
loses its second link), so a digest is never cut inside an article.

Dates are shown in the reader's time zone as "25 Nov, 08:00" (the year only when it is not the
current one); an unknown zone name falls back to UTC rather than failing a delivery.
"""

from __future__ import annotations

import logging
import re
import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from news import words
from news.digest import article_time, source_name, summary_lines
from news.models import Article, Digest, DigestItem, SearchHit
from news.tghtml import TELEGRAM_LIMIT, escape, link, safe_url, split_html, utf16_length

log = logging.getLogger(__name__)

TEXT_WIDTH = 88
TITLE_CHARS = 200
SOURCE_CHARS = 80
SUMMARY_CHARS = 1000
# A digest story's summary longer than this folds into an expandable quote (tap to read).
LONG_SUMMARY = 300
_QUOTE = ("<blockquote expandable>", "</blockquote>")
SNIPPET_CHARS = 300
QUERY_CHARS = 60
# A card leaves room for the digest's header, so the first message never holds the header alone.
CARD_LIMIT = TELEGRAM_LIMIT - 196
# A "Read more" link repeats the href; a very long one is kept only on the title.
_SECOND_LINK_MAX = 600
# C0 and C1 controls (ANSI escape sequences included) never reach a terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
MATCH_START, MATCH_END = "\x02", "\x03"


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone, using UTC tz=%r", tz)
        return ZoneInfo("UTC")


def format_when(dt: datetime | None, *, tz: str, now: datetime | None = None) -> str:
    """Return `dt` in zone `tz` as "25 Nov, 08:00" (with the year if not `now`'s), "" for None."""
    if dt is None:
        return ""
    zone = _zone(tz)
    local = dt.astimezone(zone)
    year = (now or datetime.now(UTC)).astimezone(zone).year
    day = words.day_month(local.day, local.month)
    if local.year != year:
        day += f" {local.year}"
    return f"{day}, {local:%H:%M}"


def _since_phrase(since: datetime, until: datetime, tz: str) -> str:
    zone = _zone(tz)
    start, end = since.astimezone(zone), until.astimezone(zone)
    if start.date() == end.date():
        return f"{start:%H:%M}"
    if start.date() == end.date() - timedelta(days=1):
        return words.yesterday_at(f"{start:%H:%M}")
    return format_when(since, tz=tz, now=until)


def _clip(text: str, chars: int) -> str:
    """Return `text` on one line, cut at a word boundary to at most `chars` characters."""
    flat = " ".join(_CONTROL.sub("", text).split())
    if len(flat) <= chars:
        return flat
    if chars < 2:
        return ""
    cut = flat[: chars - 1]
    if " " in cut[chars // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-") + "…"


def _clip_html(text: str, units: int) -> str:
    """Return `text` escaped, clipped so the markup is at most `units` UTF-16 units."""
    flat = " ".join(text.split())
    if utf16_length(escape(flat)) <= units:
        return escape(flat)
    low, high = 0, len(flat)
    while low < high:  # the longest clip whose escaped form fits
        middle = (low + high + 1) // 2
        if utf16_length(escape(_clip(flat, middle))) <= units:
            low = middle
        else:
            high = middle - 1
    return escape(_clip(flat, low)) if low else ""


# --- Telegram HTML --------------------------------------------------------------------------


def _card(
    title: str,
    url: str | None,
    meta: tuple[str, str],
    summary: Sequence[str],
    number: str = "",
    *,
    fold: bool = False,
) -> str:
    """Return one article as Telegram HTML, at most CARD_LIMIT UTF-16 units.

    `fold`: a long summary goes in an expandable blockquote (digests, where cards pile up).
    """
    source, when = meta
    href = safe_url(url)
    head = f"<b>{escape(number)}{link(href, _clip(title, TITLE_CHARS) or words.UNTITLED)}</b>"
    line = f"<i>{escape(_clip(source, SOURCE_CHARS))}</i>" + (f" · {escape(when)}" if when else "")
    more = link(href, words.READ_MORE) if href else ""
    if utf16_length(more) > _SECOND_LINK_MAX:
        more = ""
    fixed = "\n".join(part for part in (head, line, more) if part)
    room = CARD_LIMIT - utf16_length(fixed) - 2
    quoted = fold and len(" ".join(summary)) > LONG_SUMMARY
    if quoted:
        room -= len("".join(_QUOTE))
    body = _clip_html(_clip(" ".join(summary), SUMMARY_CHARS), room) if summary else ""
    if quoted and body:
        body = body.join(_QUOTE)
    return "\n".join(part for part in (head, line, body, more) if part)


# Cards of one planning run: a story's card is the same in every chat of one time zone.
_CARDS: dict[tuple[object, ...], str] = {}
_CARDS_KEPT = 4096


def _item_card(item: DigestItem, tz: str, now: datetime) -> str:
    summary = tuple(item.summary)
    key = (item.article_id, item.title, item.url, item.source, item.published_at, summary, tz, now)
    card = _CARDS.get(key)
    if card is None:
        if len(_CARDS) >= _CARDS_KEPT:
            _CARDS.clear()
        when = format_when(item.published_at, tz=tz, now=now)
        card = _CARDS[key] = _digest_card(item.title, item.url, item.source, when, summary)
    return card


@lru_cache(maxsize=4096)  # the same story's card, in many chats' digests of one run
def _digest_card(
    title: str, url: str | None, source: str, when: str, summary: tuple[str, ...]
) -> str:
    return _card(title, url, (source, when), summary, fold=True)


def render_article(article: Article, *, tz: str = "UTC") -> str:
    """Return one article card: title (bold, linked), source · date, summary, "Read more"."""
    when = format_when(article_time(article), tz=tz)
    return _card(article.title, article.url, (source_name(article), when), summary_lines(article))


def digest_header(digest: Digest, *, tz: str = "UTC") -> str:
    """Return the default first line of a digest message, e.g. "📰 Your digest · 12 stories …"."""
    since = _since_phrase(digest.since, digest.until, tz)
    return words.scheduled_header(digest.total, since, _shown(digest))


def _shown(digest: Digest) -> int | None:
    """Return how many stories the digest shows when its cap cut some, else None."""
    return len(digest.items) if digest.total > len(digest.items) else None


MUTE_BUTTONS = 3  # "Mute <source>" buttons under a digest, for its first sources


def digest_buttons(digest: Digest) -> list[list[tuple[str, str]]]:
    """Return the buttons under a digest, (label, callback data): Mute its first sources, and
    Filter…; none for an empty digest."""
    if digest.empty:
        return []
    sources: dict[int, str] = {}
    for item in digest.items:
        if item.feed_id is not None and len(sources) < MUTE_BUTTONS:
            sources.setdefault(item.feed_id, item.source.split(", ")[0])
    mutes = [(words.mute(_clip(name, 24)), f"mu:{feed_id}") for feed_id, name in sources.items()]
    return (
        [mutes, [(words.BUTTON_FILTER, "f:new")]] if mutes else [[(words.BUTTON_FILTER, "f:new")]]
    )


def render_html(digest: Digest, *, tz: str = "UTC", header: str | None = None) -> list[str]:
    """Return the digest as Telegram HTML messages (none when it is empty), split by article.

    `header` is Telegram HTML written by the caller (feed text in it must be escaped); it opens
    the first message only.
    """
    if digest.empty:
        return []
    cards = [_item_card(item, tz, digest.until) for item in digest.items]
    top = digest_header(digest, tz=tz) if header is None else header
    older = [words.older_items(n, _clip(source, SOURCE_CHARS)) for source, n in digest.older]
    if digest.filtered:
        older.append(words.filtered_out(digest.filtered))
    return split_html([top, *cards, "\n".join(older)])


def _snippet_html(snippet: str, chars: int) -> str:
    """Return an FTS snippet as HTML: text between \\x02 and \\x03 bold, the rest escaped."""
    parts: list[tuple[str, bool]] = []
    bold = False
    for piece in re.split(r"([\x02\x03])", snippet):
        if piece in (MATCH_START, MATCH_END):
            bold = piece == MATCH_START
        elif piece:
            parts.append((re.sub(r"\s+", " ", _CONTROL.sub(" ", piece)), bold))
    out: list[str] = []
    left = chars
    for text, is_match in parts:
        if left <= 0:
            break
        # _clip trims; the space before a clipped match still separates it from the word before.
        shown = text if len(text) <= left else " " * text.startswith(" ") + _clip(text, left)
        left -= len(text)
        out.append(f"<b>{escape(shown)}</b>" if is_match and shown.strip() else escape(shown))
    return "".join(out).strip()


def render_search_results(
    hits: Sequence[SearchHit],
    *,
    query: str,
    page: int,
    per_page: int,
    has_more: bool,
    tz: str = "UTC",
) -> str:
    """Return one page of search results (page 1 first) as a Telegram HTML message."""
    if page < 1 or per_page < 1:
        raise ValueError("render: page and per_page start at 1")
    shown = escape(_clip(query, QUERY_CHARS))
    if not hits:
        return words.nothing_found(shown) if page == 1 else words.no_more_results_for(shown)
    top = words.results_header(shown, page if page > 1 or has_more else None)
    room = (TELEGRAM_LIMIT - utf16_length(top)) // len(hits) - 2
    blocks = [top]
    for index, hit in enumerate(hits):
        number = f"{(page - 1) * per_page + index + 1}. "
        blocks.append(_result(hit, number, tz, room))
    return "\n\n".join(blocks)


def _result(hit: SearchHit, number: str, tz: str, room: int) -> str:
    """Return one search result within `room` UTF-16 units: title, source · date, snippet."""
    article = hit.article
    when = format_when(article_time(article), tz=tz)
    source = _clip_html(_clip(source_name(article), SOURCE_CHARS), room // 8)
    line = f"<i>{source}</i>" + (f" · {escape(when)}" if when else "")
    title = _clip(article.title, TITLE_CHARS) or words.UNTITLED
    head = f"<b>{escape(number)}{link(article.url, title)}</b>"
    if utf16_length(head) + utf16_length(line) > room // 2:  # a huge URL: keep the title only
        head = f"<b>{escape(number)}{_clip_html(title, room // 4)}</b>"
    left = room - utf16_length(head) - utf16_length(line) - 2
    chars = SNIPPET_CHARS
    snippet = _snippet_html(hit.snippet, chars)
    while snippet and utf16_length(snippet) > left:
        chars = min(chars - 1, chars * left // utf16_length(snippet))
        snippet = _snippet_html(hit.snippet, chars) if chars > 0 else ""
    return "\n".join(part for part in (head, line, snippet) if part)


# --- plain text -----------------------------------------------------------------------------


def _wrap(text: str, indent: str = "   ") -> str:
    return textwrap.fill(
        text, width=TEXT_WIDTH, initial_indent=indent, subsequent_indent=indent,
        break_long_words=False, break_on_hyphens=False,
    )  # fmt: skip


def render_text(digest: Digest, *, now: datetime | None = None, tz: str = "UTC") -> str:
    """Return the digest as plain text for a terminal, wrapped at 88 columns."""
    reference = now or digest.until
    since = format_when(digest.since, tz=tz, now=reference)
    if digest.empty:
        return words.nothing_new(since)
    header = words.text_header(digest.total, since, tz, _shown(digest))
    blocks = [f"{header}\n{'=' * min(len(header), TEXT_WIDTH)}"]
    for number, item in enumerate(digest.items, start=1):
        title = textwrap.fill(
            f"{number}. {_clip(item.title, TITLE_CHARS * 2)}", width=TEXT_WIDTH,
            subsequent_indent="   ",
        )  # fmt: skip
        when = format_when(item.published_at, tz=tz, now=reference)
        lines = [title, _wrap(" · ".join(x for x in (_clip(item.source, 200), when) if x))]
        if item.summary:
            lines.append(_wrap(_clip(" ".join(item.summary), SUMMARY_CHARS * 2)))
        if item.url and item.url.strip():
            lines.append("   " + _CONTROL.sub("", item.url.strip()))
        blocks.append("\n".join(lines))
    blocks += [
        _wrap(words.older_items_text(n, _clip(source, 200)), "") for source, n in digest.older
    ]
    return "\n\n".join(blocks) + "\n"

"""Telegram-HTML helpers: escaping, safe links, the length Telegram counts, and splitting.

Telegram's HTML parse mode knows a few tags (ALLOWED_TAGS) and only the named entities
&lt; &gt; &amp; &quot; (plus numeric ones). Every feed-supplied string goes through escape() and
every URL through link(); nothing else builds markup from feed data.

Length. The Bot API documents sendMessage's text as "1-4096 characters after entities parsing",
and Telegram measures text and entity offsets in UTF-16 code units (MessageEntity: "Offset in
UTF-16 code units"), so an emoji outside the BMP counts 2; tools that count code points get
"message is too long" on emoji-heavy text. visible_length() counts the parsed text that way.
split_html() keeps the *raw* HTML of each message within the limit, also in UTF-16 units: the
parsed text is never longer than its markup, so the visible limit holds as well, and so does any
Bot API implementation that checks the raw length.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from functools import lru_cache
from html.parser import HTMLParser
from urllib.parse import urlsplit

from news.fetch.urls import MAX_URL_LENGTH  # longer hrefs are tracking junk, and eat the budget

TELEGRAM_LIMIT = 4096
ALLOWED_TAGS = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
        "blockquote", "tg-spoiler", "span",
    }
)  # fmt: skip
LINK_SCHEMES = frozenset({"http", "https", "tg"})

# Telegram drops or rejects C0 controls (except tab and newline); lone surrogates cannot be
# encoded as UTF-8 at all.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
_TOKEN = re.compile(r"<[^<>]*>|[^<]+|<")
_ATOM = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);|[\s\S]")
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z][a-zA-Z0-9-]*)")


def utf16_length(text: str) -> int:
    """Return the length of `text` in UTF-16 code units, the unit Telegram counts in."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def escape(text: str) -> str:
    """Return `text` safe as Telegram-HTML content: & < > escaped, control characters dropped."""
    return html.escape(_UNSAFE.sub("", text), quote=False)


def safe_url(url: str | None) -> str | None:
    """Return `url` stripped when Telegram may link to it (http, https, tg), else None."""
    if not url:
        return None
    url = url.strip()
    if not url or _UNSAFE.search(url) or re.search(r"\s", url):
        return None
    if len(html.escape(url, quote=True)) > MAX_URL_LENGTH:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return None
    if parts.scheme.lower() not in LINK_SCHEMES:
        return None
    if parts.scheme.lower() != "tg" and not parts.hostname:
        return None
    return url


def link(url: str | None, text: str) -> str:
    """Return `text` as an <a href> to `url`, or as plain escaped text when the URL is unsafe."""
    href = safe_url(url)
    label = escape(text) if text.strip() else escape(href or "")
    if href is None:
        return label
    return f'<a href="{html.escape(href, quote=True)}">{label}</a>'


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


@lru_cache(maxsize=8192)  # planning many digests parses the same cards again and again
def visible_text(markup: str) -> str:
    """Return the text Telegram shows for `markup`: tags removed, entities decoded."""
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    return "".join(collector.parts)


def visible_length(markup: str) -> int:
    """Return the length Telegram counts for `markup`, in UTF-16 code units after parsing."""
    return utf16_length(visible_text(markup))


def split_html(
    blocks: Sequence[str], *, limit: int = TELEGRAM_LIMIT, separator: str = "\n\n"
) -> list[str]:
    """Return the blocks packed into messages of at most `limit` raw UTF-16 units each.

    Messages break only between blocks; a block longer than `limit` on its own is cut into
    pieces between tags and entities, with the open tags closed and reopened around each cut.
    Blank blocks are skipped. Blocks must be well-formed Telegram HTML.
    """
    if limit < 64:
        raise ValueError("tghtml: limit must be at least 64")
    messages: list[str] = []
    current: str | None = None
    for block in blocks:
        if not visible_text(block).strip():
            continue
        pieces = [block] if utf16_length(block) <= limit else cut_block(block, limit=limit)
        for piece in pieces:
            if current is None:
                current = piece
            elif utf16_length(current) + utf16_length(separator + piece) <= limit:
                current += separator + piece
            else:
                messages.append(current)
                current = piece
    if current is not None:
        messages.append(current)
    return messages


class _Cutter:
    """Cut one block of HTML into pieces that fit; the state of one cut_block call."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.pieces: list[str] = []
        self.stack: list[tuple[str, str]] = []  # (tag name, raw start tag) of open tags
        self.current = ""
        self.units = 0  # utf16 length of self.current
        self.closing_units = 0  # utf16 length of the end tags the open tags need

    def room(self) -> int:
        return self.limit - self.units - self.closing_units

    def append(self, raw: str) -> None:
        self.current += raw
        self.units += utf16_length(raw)

    def flush(self) -> None:
        piece = self.current + "".join(f"</{name}>" for name, _ in reversed(self.stack))
        if visible_text(piece).strip():
            self.pieces.append(piece)
        self.current = ""
        self.units = 0
        self.append("".join(raw for _, raw in self.stack))

    def start_tag(self, token: str, name: str) -> None:
        cost = utf16_length(token) + len(name) + 3
        if cost > self.room():
            self.flush()
            if cost > self.room():
                raise ValueError(f"tghtml: <{name}> tag too long to fit in {self.limit} units")
        self.append(token)
        self.stack.append((name, token))
        self.closing_units += len(name) + 3

    def end_tag(self, name: str) -> None:
        # A stray end tag has nothing to close: dropping it keeps the piece balanced.
        if not any(open_name == name for open_name, _ in self.stack):
            return
        while self.stack:
            open_name, raw = self.stack.pop()
            self.closing_units -= len(open_name) + 3
            if self.current.endswith(raw):  # an empty element, e.g. reopened just before a cut
                self.current = self.current[: -len(raw)]
                self.units -= utf16_length(raw)
            else:
                self.append(f"</{open_name}>")
            if open_name == name:
                return

    def text(self, run: str) -> None:
        """Add a run of text, cutting it (never inside an entity) when it does not fit."""
        atoms = [atom if atom != "&" else "&amp;" for atom in _ATOM.findall(run)]
        while atoms:
            room, take, space = self.room(), 0, -1
            while take < len(atoms) and room >= utf16_length(atoms[take]):
                room -= utf16_length(atoms[take])
                space = take if atoms[take] in (" ", "\n") else space
                take += 1
            if take == len(atoms):
                self.append("".join(atoms))
                return
            # Prefer a break at whitespace in the second half of what fits.
            if space > take // 2:
                take = space
            if take == 0 and not visible_text(self.current).strip():
                raise ValueError(f"tghtml: open tags leave no room in {self.limit} units")
            self.append("".join(atoms[:take]))
            self.flush()
            atoms = atoms[take:]
            while atoms and atoms[0] in (" ", "\n"):
                atoms.pop(0)


def cut_block(markup: str, *, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Return `markup` cut into balanced pieces of at most `limit` raw UTF-16 units."""
    cutter = _Cutter(limit)
    for piece in _TOKEN.findall(markup):
        if piece.startswith("<") and len(piece) > 1:
            match = _TAG_NAME.match(piece)
            if match is None:  # "<>" or "< b>": not a tag for Telegram either
                cutter.text(html.escape(piece, quote=False))
                continue
            name = match.group(1).lower()
            if piece.startswith("</"):
                cutter.end_tag(name)
            else:
                cutter.start_tag(piece, name)
        else:  # text, or a stray "<"
            cutter.text("&lt;" if piece == "<" else piece)
    cutter.flush()
    return cutter.pieces


def append_lines(parts: Sequence[str], lines: Sequence[str]) -> list[str]:
    """Return messages with `lines` added at the end: to the last one when they fit."""
    out = list(parts)
    block = "\n".join(lines)
    if out and utf16_length(out[-1] + "\n\n" + block) <= TELEGRAM_LIMIT:
        out[-1] = out[-1] + "\n\n" + block
        return out
    return out + split_html(list(lines), separator="\n")

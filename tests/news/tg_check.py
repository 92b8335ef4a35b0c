"""A checker that parses Telegram HTML the way Telegram's HTML mode does, for tests.

Telegram rejects a message with "can't parse entities" for an unknown tag or attribute, an
unbalanced tag, a named entity other than &lt; &gt; &amp; &quot;, a raw "<" or "&", and with
"message is too long" past 4096 UTF-16 code units after parsing.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from news.tghtml import visible_length

LIMIT = 4096
PLAIN_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "tg-spoiler", "pre"}
NAMED_ENTITIES = {"lt", "gt", "amp", "quot"}


class TelegramHTML(HTMLParser):
    """Parse a message the way Telegram's HTML mode does, collecting what it would reject."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.errors: list[str] = []
        self.stack: list[str] = []
        self.text: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in PLAIN_TAGS and not attributes:
            pass
        elif tag == "a" and list(attributes) == ["href"]:
            href = attributes["href"] or ""
            if not re.match(r"(?i)(https?|tg)://", href):
                self.errors.append(f"link to {href!r}")
            self.links.append(href)
            if "a" in self.stack:
                self.errors.append("nested <a>")
        elif tag == "span" and attributes == {"class": "tg-spoiler"}:
            pass
        elif tag == "blockquote" and attributes in ({}, {"expandable": None}):
            if "blockquote" in self.stack:
                self.errors.append("nested blockquote")
        elif tag == "code" and set(attributes) <= {"class"}:
            pass
        else:
            self.errors.append(f"tag <{tag} {attrs}>")
        if {"code", "pre"} & set(self.stack) and not (tag == "code" and self.stack[-1] == "pre"):
            self.errors.append(f"<{tag}> inside code")
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.errors.append(f"self-closing <{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unbalanced </{tag}> (open: {self.stack})")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data or "&" in data:
            self.errors.append(f"unescaped character in {data[:40]!r}")
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in NAMED_ENTITIES:
            self.errors.append(f"entity &{name};")
        self.text.append(html.unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.text.append(html.unescape(f"&#{name};"))

    def unknown_decl(self, data: str) -> None:
        self.errors.append(f"declaration {data!r}")

    def handle_comment(self, data: str) -> None:
        self.errors.append("comment")

    def handle_decl(self, decl: str) -> None:
        self.errors.append("doctype")

    def handle_pi(self, data: str) -> None:
        self.errors.append("processing instruction")


def telegram_parse(message: str) -> TelegramHTML:
    """Return the parse of `message`, asserting Telegram would accept it."""
    parser = TelegramHTML()
    parser.feed(message)
    parser.close()
    assert not parser.errors, parser.errors
    assert not parser.stack, f"unclosed tags {parser.stack}"
    return parser


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def visible(message: str) -> str:
    return "".join(telegram_parse(message).text)


def assert_sendable(message: str) -> None:
    shown = visible(message)
    assert shown.strip(), "Telegram rejects an empty message"
    assert utf16(shown) <= LIMIT
    assert utf16(message) <= LIMIT
    assert visible_length(message) == utf16(shown)

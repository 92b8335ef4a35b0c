"""Telegram's HTML parse mode, as the Bot API documents it: text and entities, or an error.

Documented rules (https://core.telegram.org/bots/api#html-style): only the listed tags; `<`,
`>` and `&` that are not part of a tag or an entity must be escaped; the named entities are
only &lt; &gt; &amp; &quot;, numeric ones are all allowed. Offsets and lengths count UTF-16
code units, as MessageEntity documents. Errors read like Telegram's ("Unsupported start tag
"foo" at byte offset 3") and go after "Bad Request: can't parse entities: ".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_ATTR = re.compile(r"[a-zA-Z_][a-zA-Z0-9_:-]*")
_ENTITY = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));")


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; the message is Telegram's wording."""


def utf16_len(text: str) -> int:
    """Return the length of `text` in UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


@dataclass
class _Open:
    tag: str
    start: int  # UTF-16 offset in the output
    attrs: dict[str, str]


@dataclass
class _Parser:
    source: str
    pos: int = 0
    out: list[str] = field(default_factory=list)
    units: int = 0
    stack: list[_Open] = field(default_factory=list)
    entities: list[tuple[int, int, dict[str, str]]] = field(default_factory=list)

    def fail(self, message: str, at: int | None = None) -> EntityParseError:
        if at is not None:
            offset = len(self.source[:at].encode("utf-8", "surrogatepass"))
            message = f"{message} at byte offset {offset}"
        return EntityParseError(message)

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.units += utf16_len(text)

    def run(self) -> None:
        src = self.source
        while self.pos < len(src):
            char = src[self.pos]
            if char == "<":
                if src.startswith("</", self.pos):
                    self.end_tag()
                else:
                    self.start_tag()
            elif char == "&":
                self.entity()
            elif char == ">":
                raise self.fail('Unexpected ">"; use &gt;', self.pos)
            else:
                nxt = min(
                    (i for i in (src.find(c, self.pos) for c in "<&>") if i >= 0), default=-1
                )
                end = len(src) if nxt < 0 else nxt
                self.emit(src[self.pos : end])
                self.pos = end
        if self.stack:
            raise self.fail(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].tag}"'
            )

    def entity(self) -> None:
        match = _ENTITY.match(self.source, self.pos)
        if match is None:
            raise self.fail('Character entity expected; use &amp; for "&"', self.pos)
        number, hexa, name = match.groups()
        if name is not None:
            if name not in NAMED_ENTITIES:
                raise self.fail(f'Unsupported HTML entity "&{name};"', self.pos)
            self.emit(NAMED_ENTITIES[name])
        else:
            code = int(number) if number is not None else int(hexa, 16)
            if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise self.fail("Invalid character entity", self.pos)
            self.emit(chr(code))
        self.pos = match.end()

    def start_tag(self) -> None:
        begin = self.pos
        match = _NAME.match(self.source, self.pos + 1)
        name = match.group(0).lower() if match else ""
        if match is None or name not in TAG_ENTITY:
            raise self.fail(f'Unsupported start tag "{name}"', begin)
        self.pos = match.end()
        attrs = self.attributes(begin)
        self.check_tag(name, attrs, begin)
        self.stack.append(_Open(name, self.units, attrs))

    def attributes(self, begin: int) -> dict[str, str]:
        src = self.source
        attrs: dict[str, str] = {}
        while True:
            while self.pos < len(src) and src[self.pos].isspace():
                self.pos += 1
            if self.pos >= len(src):
                raise self.fail("Unclosed start tag", begin)
            if src[self.pos] == ">":
                self.pos += 1
                return attrs
            match = _ATTR.match(src, self.pos)
            if match is None:
                raise self.fail("Empty attribute name in the tag", begin)
            key = match.group(0).lower()
            self.pos = match.end()
            attrs[key] = self.attribute_value(begin) if src.startswith("=", self.pos) else ""

    def attribute_value(self, begin: int) -> str:
        src = self.source
        self.pos += 1
        if self.pos < len(src) and src[self.pos] in "'\"":
            quote = src[self.pos]
            end = src.find(quote, self.pos + 1)
            if end < 0:
                raise self.fail("Unclosed start tag", begin)
            raw = src[self.pos + 1 : end]
            self.pos = end + 1
        else:
            match = re.compile(r"[^\s>]*").match(src, self.pos)
            raw = match.group(0) if match else ""
            self.pos += len(raw)
        return _ENTITY.sub(_decode, raw)

    def check_tag(self, name: str, attrs: dict[str, str], begin: int) -> None:
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise self.fail('Tag "span" must have class "tg-spoiler"', begin)
        if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise self.fail('Tag "tg-emoji" must have attribute "emoji-id"', begin)
        if name == "blockquote" and any(o.tag == "blockquote" for o in self.stack):
            raise self.fail("Blockquote entities can't be nested", begin)

    def end_tag(self) -> None:
        begin = self.pos
        end = self.source.find(">", self.pos)
        if end < 0:
            raise self.fail("Unclosed end tag", begin)
        name = self.source[self.pos + 2 : end].strip().lower()
        self.pos = end + 1
        if not self.stack:
            raise self.fail(f'Unexpected end tag "{name}"', begin)
        top = self.stack.pop()
        if top.tag != name:
            raise self.fail(
                f'Unmatched end tag, expected "</{top.tag}>", found "</{name}>"', begin
            )
        self.close(top)

    def close(self, top: _Open) -> None:
        kind = TAG_ENTITY[top.tag]
        extra = {"type": kind}
        if kind == "text_link":
            extra["url"] = top.attrs.get("href", "")
        elif kind == "custom_emoji":
            extra["custom_emoji_id"] = top.attrs["emoji-id"]
        elif kind == "blockquote" and "expandable" in top.attrs:
            extra["type"] = "expandable_blockquote"
        elif kind == "code" and self.stack and self.stack[-1].tag == "pre":
            # <pre><code class="language-x"> is one pre entity with a language.
            language = top.attrs.get("class", "").removeprefix("language-")
            if language:
                self.stack[-1].attrs["language"] = language
            return
        elif kind == "pre" and top.attrs.get("language"):
            extra["language"] = top.attrs["language"]
        if self.units > top.start:
            self.entities.append((top.start, self.units - top.start, extra))


def _decode(match: re.Match[str]) -> str:
    number, hexa, name = match.groups()
    if name is not None:
        return NAMED_ENTITIES.get(name, match.group(0))
    return chr(int(number) if number is not None else int(hexa, 16))


def parse_html(source: str) -> tuple[str, list[dict[str, object]]]:
    """Return the text Telegram shows for `source` and its entities; raise EntityParseError."""
    parser = _Parser(source)
    parser.run()
    text = "".join(parser.out)
    # Telegram trims the message: leading whitespace shifts every entity left.
    stripped = text.lstrip()
    shift = utf16_len(text) - utf16_len(stripped)
    text = stripped.rstrip()
    limit = utf16_len(text)
    entities: list[dict[str, object]] = []
    for start, length, extra in sorted(parser.entities, key=lambda e: (e[0], -e[1])):
        offset, end = max(0, start - shift), min(limit, start + length - shift)
        if end > offset:
            entities.append({**extra, "offset": offset, "length": end - offset})
    return text, entities

"""Text helpers shared by parse and extract: bytes -> str, HTML -> clean plain text.

Plain text in newsbot is one paragraph per line: no tags, no entities, no empty lines, runs of
whitespace collapsed to one space. Summaries, search snippets and digests all rely on that shape.
"""

from __future__ import annotations

import codecs
import html
import re

import charset_normalizer
import lxml.etree
import lxml.html

# Elements whose content is never readable text.
_DROP = frozenset(
    {
        "script", "style", "iframe", "noscript", "template", "object", "embed", "svg", "math",
        "head", "title", "button", "select", "textarea", "canvas", "video", "audio", "map",
    }
)  # fmt: skip
# Elements that start a new paragraph.
_BLOCK = frozenset(
    {
        "p", "div", "section", "article", "aside", "header", "footer", "nav", "main", "body",
        "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "blockquote",
        "pre", "table", "thead", "tbody", "tfoot", "tr", "caption", "figure", "figcaption",
        "hr", "address", "details", "summary", "fieldset", "legend", "center", "form", "html",
    }
)  # fmt: skip
_CELL = frozenset({"td", "th"})
# Marks a line break while source whitespace is collapsed; private use, never readable text.
_MARK = "\ue000"
_SPACE = re.compile(r"[^\S\n]+")
_ANY_SPACE = re.compile(r"\s+")
# C0 controls other than tab/newline, DEL, lone surrogates, zero-width characters, and the
# non-characters XML refuses: none of them is readable and some make lxml raise.
_JUNK = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\u200b\u2060\ufeff\ufffe\uffff]")
# Only complete references (with ";"): "&copy2024" in running text stays as written.
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});")
_TAG = re.compile(r"<\s*[a-zA-Z!/?]")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([-\w.:]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([-\w.:]+)""", re.IGNORECASE)
_CT_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([-\w.:]+)""", re.IGNORECASE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def clean_chars(text: str) -> str:
    """Return `text` without control characters, lone surrogates and zero-width marks."""
    return _JUNK.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def plain_text(text: str) -> str:
    """Return plain text normalized: one paragraph per line, spaces collapsed, no empty lines."""
    lines = (_SPACE.sub(" ", line).strip() for line in clean_chars(text).split("\n"))
    return "\n".join(line for line in lines if line)


def one_line(text: str) -> str:
    """Return `text` with every run of whitespace (newlines included) collapsed to one space."""
    return _ANY_SPACE.sub(" ", clean_chars(text)).strip()


def looks_like_html(text: str) -> bool:
    """Return whether `text` contains anything that looks like a tag."""
    return _TAG.search(text) is not None


def html_to_text(markup: str) -> str:
    """Return the readable text of an HTML fragment or page, one paragraph per line.

    Scripts, styles, iframes and other non-text elements are dropped; entities are unescaped;
    block elements and <br> start new lines. Text without any tag is only unescaped, and its
    own line breaks are kept as paragraph breaks (feeds often send plain text as "HTML").
    """
    markup = clean_chars(markup).replace(_MARK, "")
    if not looks_like_html(markup):
        return plain_text(html.unescape(markup))
    # A fresh parser per call: lxml parsers must not be shared between threads.
    parser = lxml.html.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True
    )
    data = b"<div>" + markup.encode("utf-8", "replace") + b"</div>"
    try:
        root = lxml.etree.fromstring(data, parser)
    except lxml.etree.ParserError:
        return ""
    if root is None:
        return ""
    _mark_breaks(root)
    text = lxml.etree.tostring(root, method="text", encoding="unicode")
    # Source whitespace (newlines included) is one space; only our marks are line breaks.
    text = _ANY_SPACE.sub(" ", text).replace(_MARK, "\n")
    return plain_text(_unescape_leftovers(text))


def _mark_breaks(root: lxml.etree._Element) -> None:
    """Empty the non-text elements and put _MARK where blocks, <br> and <pre> lines break."""
    for el in list(root.iter(*_DROP)):
        del el[:]  # children and text go; the tail belongs to the parent and stays
        el.text = None
    for pre in root.iter("pre"):
        for node in pre.iter():
            if node.text:
                node.text = node.text.replace("\n", _MARK)
            if node is not pre and node.tail:
                node.tail = node.tail.replace("\n", _MARK)
    for el in root.iter(*_BLOCK, "br"):
        el.tail = _MARK + (el.tail or "")
        if el.tag != "br":
            el.text = _MARK + (el.text or "")
    for el in root.iter(*_CELL):
        el.tail = " " + (el.tail or "")


def _unescape_leftovers(text: str) -> str:
    """Return `text` with complete entities left by double-escaping ("&amp;#8217;") resolved."""
    return _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)


def first_words(text: str, *, words: int = 12, max_chars: int | None = 100) -> str:
    """Return the opening words of `text` on one line, with "…" when cut short.

    A title made up from a text keeps the defaults; a search snippet takes more words and no
    character cap.
    """
    tokens = one_line(text).split(" ")
    head = " ".join(tokens[:words])
    if max_chars is not None and len(head) > max_chars:
        head = head[:max_chars].rsplit(" ", 1)[0] or head[:max_chars]
    return head + ("…" if head != " ".join(tokens) else "")


def word_count(text: str) -> int:
    """Return the number of words in `text`, counting each CJK character as one word."""
    cjk = len(_CJK.findall(text))
    spaced = len(_CJK.sub(" ", text).split())
    return cjk + spaced


def charset_from_content_type(content_type: str | None) -> str | None:
    """Return the charset named in a Content-Type header, or None."""
    if not content_type:
        return None
    match = _CT_CHARSET.search(content_type)
    return match.group(1) if match else None


def _codec(name: str | bytes | None) -> str | None:
    """Return Python's name for a declared charset, None when unknown or unusable for HTML."""
    if not name:
        return None
    label = name.decode("ascii", "replace") if isinstance(name, bytes) else name
    try:
        codec = codecs.lookup(label.strip().lower()).name
    except LookupError:
        return None
    # WHATWG: latin-1 and ascii labels mean windows-1252; a <meta> cannot declare UTF-16.
    if codec in {"latin-1", "iso8859-1", "ascii"}:
        return "cp1252"
    return None if codec.startswith("utf-16") or codec.startswith("utf-32") else codec


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Return an HTML page's bytes as text: BOM, valid UTF-8, HTTP charset, <meta>, guess."""
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if body.startswith(bom):
            return body[len(bom) :].decode(codec, "replace")
    # Bytes that are valid UTF-8 are UTF-8 in practice, whatever the labels claim: pages are
    # often re-encoded by proxies and CMSs without fixing their <meta>.
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    head = body[:4096]
    meta = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    declared = _codec(charset_from_content_type(content_type)) or _codec(
        meta.group(1) if meta else None
    )
    if declared is None:
        best = charset_normalizer.from_bytes(body[:65536]).best()
        declared = _codec(best.encoding) if best is not None else None
    return body.decode(declared or "cp1252", "replace")

"""The fetched bytes, made readable for feedparser: gzip, UTF-16 and crash-prone references."""

from __future__ import annotations

import re
import zlib

from news.errors import ParseError

MAX_UNZIPPED_BYTES = 32 * 1024 * 1024
_NUM_REF = re.compile(rb"&#([xX][0-9a-fA-F]{1,8}|[0-9]{1,10});")
_HALF = re.compile(rb"&#!([0-9A-F]{4});")
_HALF_PAIR = re.compile(rb"&#!(D[89AB][0-9A-F]{2});&#!(D[C-F][0-9A-F]{2});")
_DECLARED_ENCODING = re.compile(rb"""\s*<\?xml[^>]*?\sencoding\s*=\s*["']([^"']*)["']""")
_HTML_PAGE = re.compile(rb"<!doctype\s+html|<html[\s>]", re.IGNORECASE)


def prepare(body: bytes, content_type: str | None) -> tuple[bytes, str | None]:
    """Return the body gunzipped (a server that gzips twice) and UTF-16 transcoded to UTF-8."""
    if body.startswith(b"\x1f\x8b"):
        body = _gunzip(body)
    codec = _utf16_codec(body)
    if codec is None:
        return body, content_type
    # feedparser reads UTF-16 only with an <?xml ...?> declaration to sniff; hand it UTF-8
    # instead, and make sure neither the declaration nor the HTTP header claims otherwise.
    data = body.decode(codec, "replace").lstrip("\ufeff").encode("utf-8")
    return _declare_utf8(data), content_type.split(";")[0] if content_type else None


def _gunzip(body: bytes) -> bytes:
    inflater = zlib.decompressobj(wbits=31)
    try:
        data = inflater.decompress(body, MAX_UNZIPPED_BYTES + 1)
    except zlib.error as exc:
        raise ParseError(f"parse: corrupt gzip body ({exc})") from exc
    if len(data) > MAX_UNZIPPED_BYTES:
        raise ParseError(f"parse: gzip body over {MAX_UNZIPPED_BYTES // 2**20} MiB unpacked")
    if not data and not inflater.eof:
        raise ParseError("parse: corrupt gzip body (truncated)")
    return data  # a truncated stream still gives what it has, like a truncated plain body


def _utf16_codec(body: bytes) -> str | None:
    """Return "utf-16-le"/"utf-16-be" when the body is UTF-16 (with or without a BOM)."""
    if body[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        return None  # UTF-32, which feedparser reads itself
    if body[:2] == b"\xff\xfe":
        return "utf-16-le"
    if body[:2] == b"\xfe\xff":
        return "utf-16-be"
    sample = body[:1024]
    half = len(sample) // 2
    if half < 4:
        return None
    zero_even = sample[0 : 2 * half : 2].count(0)
    zero_odd = sample[1 : 2 * half : 2].count(0)
    # ASCII markup in UTF-16 has a zero in every other byte; UTF-32 has zeros in both halves.
    if zero_odd > half * 0.4 and zero_even < half * 0.05:
        return "utf-16-le"
    if zero_even > half * 0.4 and zero_odd < half * 0.05:
        return "utf-16-be"
    return None


def defuse(data: bytes) -> bytes:
    """Return `data` without the things that crash feedparser instead of making it bozo."""
    if b"&#" in data:
        # Emoji written as UTF-16 surrogate pairs of character references ("&#55357;&#56832;"),
        # as some generators do: join each pair; a lone half or a value past U+10FFFF is U+FFFD.
        data = _NUM_REF.sub(_mark_ref, data)
        data = _HALF_PAIR.sub(_join_pair, data)
        data = _HALF.sub(b"&#xFFFD;", data)
    # A non-ASCII encoding name in the XML declaration (a corrupted byte) is no name at all.
    declared = _DECLARED_ENCODING.match(data)
    return data if declared is None or declared.group(1).isascii() else _declare_utf8(data)


def _mark_ref(match: re.Match[bytes]) -> bytes:
    ref = match.group(1)
    value = int(ref[1:], 16) if ref[:1] in b"xX" else int(ref)
    if 0xD800 <= value <= 0xDFFF:
        return b"&#!%04X;" % value  # a surrogate half, paired up (or not) by the next pass
    return b"&#xFFFD;" if value > 0x10FFFF else match.group(0)


def _join_pair(match: re.Match[bytes]) -> bytes:
    high, low = int(match.group(1), 16), int(match.group(2), 16)
    return b"&#x%X;" % (0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))


def _declare_utf8(data: bytes) -> bytes:
    """Return `data` with the encoding in its XML declaration (if any) replaced by utf-8."""
    declared = _DECLARED_ENCODING.match(data)
    if declared is None:
        return data
    return data[: declared.start(1)] + b"utf-8" + data[declared.end(1) :]


def is_blank(data: bytes) -> bool:
    """Return whether the body holds nothing but whitespace, NULs and byte-order marks."""
    return not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe")


def is_json(data: bytes, content_type: str | None) -> bool:
    """Return whether the body is JSON (by its first byte or its Content-Type)."""
    head = data[:64].lstrip(b" \t\r\n\xef\xbb\xbf")
    return head.startswith(b"{") or bool(content_type and "json" in content_type.lower())


def looks_like_html_page(data: bytes) -> bool:
    """Return whether the body starts like an HTML page."""
    return _HTML_PAGE.search(data[:2048]) is not None

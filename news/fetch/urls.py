"""Which URLs may be fetched at all: http(s) always, local files only when the caller allows."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import httpx

from news.errors import BlockedURLError

WEB_SCHEMES = frozenset({"http", "https"})
_SHOWN = 200  # characters of a refused URL quoted in an error message


def _quote(url: str) -> str:
    return repr(url if len(url) <= _SHOWN else url[:_SHOWN] + "...")


# The longest URL we fetch, store or link to (browsers and Telegram give up near here too).
MAX_URL_LENGTH = 2048


def check_url(url: str, *, allow_file: bool = False) -> str:
    """Return `url` normalized (http(s) URL without fragment, or a file: URI); refuse the rest."""
    text = url.strip()
    if not text:
        raise BlockedURLError("fetch: empty URL")
    if len(text) > MAX_URL_LENGTH:
        raise BlockedURLError(f"fetch: URL longer than {MAX_URL_LENGTH} characters")
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError as exc:  # e.g. an unclosed "[" of an IPv6 literal
        raise BlockedURLError(f"fetch: invalid URL {_quote(text)}: {exc}") from exc
    if scheme in ("", "file"):
        return _file_uri(text, is_uri=bool(scheme), allow_file=allow_file)
    if scheme not in WEB_SCHEMES:
        raise BlockedURLError(
            f"fetch: unsupported URL scheme {scheme!r} in {_quote(text)}; use http:// or https://"
        )
    try:
        parsed = httpx.URL(text)
    except (httpx.InvalidURL, UnicodeError) as exc:  # UnicodeError: a bad IDNA host name
        raise BlockedURLError(f"fetch: invalid URL {_quote(text)}: {exc}") from exc
    if not parsed.host:
        raise BlockedURLError(f"fetch: URL has no host: {_quote(text)}")
    # The fragment never reaches the server and "" means "/": one feed, one spelling.
    return str(parsed.copy_with(fragment=None, path=parsed.path or "/"))


def _file_uri(text: str, *, is_uri: bool, allow_file: bool) -> str:
    if not allow_file:
        raise BlockedURLError(
            f"fetch: local files are not allowed here: {_quote(text)}; use http:// or https://"
        )
    if not is_uri:
        return Path(text).expanduser().absolute().as_uri()
    parts = urlsplit(text)
    if parts.netloc not in ("", "localhost"):
        raise BlockedURLError(f"fetch: file: URL on another host: {_quote(text)}")
    return Path(url2pathname(parts.path)).absolute().as_uri()


def file_path(uri: str) -> Path:
    """Return the local path a file: URI (as made by check_url) names."""
    return Path(url2pathname(urlsplit(uri).path))

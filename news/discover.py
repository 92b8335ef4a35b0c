"""Feed discovery: the feeds a web page names, for a user who pastes a site's home page.

A page names its feeds in `<link rel="alternate" type="application/rss+xml" href="...">` (RSS,
Atom, JSON Feed); a page that names none may still have one at a usual path (/feed, /rss, ...).
Only the page's head links are read, with the standard library's tolerant HTML parser.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit, urlunsplit

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/json",
        "application/xml",
        "text/xml",
    }
)
USUAL_PATHS = ("/feed", "/rss", "/atom.xml", "/feed.xml", "/index.xml", "/rss.xml")
# A page listing more feeds than this (one per tag, say) offers the first ones.
MAX_FOUND = 8


@dataclass(frozen=True, slots=True)
class FoundFeed:
    """A feed a page links to: its absolute URL and the title the link gives."""

    url: str
    title: str | None


class _Links(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.found: list[FoundFeed] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "base":
            href = dict(attrs).get("href")
            if href:
                self.base = urljoin(self.base, href.strip())
            return
        if tag not in ("link", "a"):
            return
        values = {k.lower(): (v or "").strip() for k, v in attrs}
        rels = values.get("rel", "").lower().split()
        kind = values.get("type", "").lower().split(";")[0].strip()
        if "alternate" in rels and kind in FEED_TYPES and values.get("href"):
            url = urljoin(self.base, values["href"])
            if urlsplit(url).scheme in ("http", "https"):
                self.found.append(FoundFeed(url, values.get("title") or None))


def feed_links(html: bytes | str, base: str) -> list[FoundFeed]:
    """Return the feeds an HTML page links to (rel=alternate with a feed type), in order."""
    text = html.decode("utf-8", "replace") if isinstance(html, bytes) else html
    parser = _Links(base)
    parser.feed(text)
    parser.close()
    unique = {f.url: f for f in reversed(parser.found)}  # the first title of a URL wins
    return [unique[url] for url in dict.fromkeys(f.url for f in parser.found)][:MAX_FOUND]


def usual_urls(page: str) -> list[str]:
    """Return the usual feed locations of the site `page` is on."""
    parts = urlsplit(page)
    return [urlunsplit((parts.scheme, parts.netloc, path, "", "")) for path in USUAL_PATHS]


def looks_like_html(body: bytes, content_type: str | None) -> bool:
    """Return whether a fetched body is a web page rather than a feed."""
    if content_type and "html" in content_type.lower():
        return True
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<head" in head

"""OPML import and export of feed lists (the format every feed reader trades subscriptions in)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from news.errors import NewsbotError
from news.models import Feed


class OPMLError(NewsbotError):
    """The file is not an OPML document we can read."""


@dataclass(frozen=True, slots=True)
class OPMLFeed:
    """One feed listed in an OPML file."""

    url: str
    title: str | None


def _root(data: bytes) -> Element:
    # defusedxml refuses DTD entities (billion laughs) and external references (XXE).
    try:
        root: Element = ElementTree.fromstring(data)
    except (ElementTree.ParseError, DefusedXmlException, UnicodeError, ValueError) as exc:
        raise OPMLError(f"opml: not a valid OPML file ({exc})") from exc
    if root.tag.lower() != "opml":
        raise OPMLError(f"opml: the root element is <{root.tag}>, not <opml>")
    return root


def read_outlines(data: bytes, *, max_outlines: int) -> list[OPMLFeed]:
    """Return the feeds an OPML file sent by a user lists, URLs as written (each is checked on
    its own when added); OPMLError for a broken file or more than `max_outlines` outlines."""
    root = _root(data)
    feeds: dict[str, OPMLFeed] = {}
    for outlines, outline in enumerate(root.iter("outline"), 1):
        if outlines > max_outlines:
            raise OPMLError(f"opml: more than {max_outlines:,} outlines")
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if url and url not in feeds:
            title = (outline.get("title") or outline.get("text") or "").strip() or None
            feeds[url] = OPMLFeed(url, title)
    return list(feeds.values())


def read_opml(data: bytes, *, base: Path | None = None) -> list[OPMLFeed]:
    """Return the feeds listed in an OPML document, nested outlines included.

    Relative paths (and `file:` URLs) are resolved against `base`, the OPML file's folder, so a
    list of local feeds travels with its folder; without a base they are refused.
    """
    root = _root(data)
    feeds: list[OPMLFeed] = []
    seen: set[str] = set()
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if not url:
            continue
        url = _resolve(url, base)
        if url in seen:
            continue
        seen.add(url)
        title = (outline.get("title") or outline.get("text") or "").strip() or None
        feeds.append(OPMLFeed(url, title))
    return feeds


def _resolve(url: str, base: Path | None) -> str:
    scheme = urlsplit(url).scheme
    if scheme in ("http", "https"):
        return url
    if scheme == "file":
        path = Path(urlsplit(url).path)
    elif scheme == "":
        path = Path(url)
    else:
        return url  # refused later by the fetcher's scheme check, with its own message
    if not path.is_absolute():
        if base is None:
            raise OPMLError(f"opml: relative feed path {url!r} needs the OPML file's location")
        path = base / path
    return path.resolve().as_uri()


def write_opml(feeds: Sequence[Feed], *, title: str = "newsbot feeds") -> str:
    """Return an OPML 2.0 document listing `feeds`."""
    root = Element("opml", version="2.0")
    head = SubElement(root, "head")
    SubElement(head, "title").text = title
    body = SubElement(root, "body")
    for feed in feeds:
        name = feed.title or feed.url
        attrs = {"type": "rss", "text": name, "title": name, "xmlUrl": feed.url}
        if feed.site_url:
            attrs["htmlUrl"] = feed.site_url
        SubElement(body, "outline", attrs)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="unicode") + "\n"

"""Article page -> main text, and the rule for when a feed's text is only a teaser.

trafilatura with favor_precision first. When that finds no main text, a page's text is not
given up: trafilatura's recall-oriented pass (favor_recall, which also reads a JSON-LD
articleBody) runs next and the fallback is logged; only when both find nothing does
ExtractError tell the caller to keep the feed's own text. What is found gets
a light tidy-up of what trafilatura lets through on news sites: the headline repeated as the
first line, pull quotes repeating a paragraph, and "READ MORE:" or "Advertisement" lines.
bench/extract.py scores it against plain trafilatura. Pure and deterministic: no network, no
cache, no clock.
"""

from __future__ import annotations

import logging
import re

import lxml.etree
import lxml.html
import trafilatura

from news.errors import ExtractError
from news.text import clean_chars, decode_html, one_line, plain_text, word_count

log = logging.getLogger(__name__)

# Fewer words than this is a fragment ("Loading…", a cookie notice), not an article.
MIN_WORDS = 10
_PROMO = re.compile(
    r"^(?:read (?:more|also|next)|also read|see also|related(?: stories| articles| coverage)?"
    r"|more on this(?: story)?|recommended(?: for you)?|watch|listen|читайте также|смотрите также)"
    r"\s*[:»›|–—-]",
    re.IGNORECASE,
)
_AD_LINE = re.compile(r"^(?:advertisement|advertising|sponsored(?: content)?|реклама)$", re.I)
# Phrases that say "the rest is on the website" in the languages our feeds come in.
_MORE = re.compile(
    r"(?:read more|continue reading|read the full (?:story|article)|full (?:story|report|article)"
    r"|keep reading|more\s*»|lire la suite|weiterlesen|leer más|leia mais|continua a leggere"
    r"|читать далее|подробнее)\W*$",
    re.IGNORECASE,
)
_ELLIPSIS = re.compile(r"(?:\.\.\.|…|\[…\]|\[\.\.\.\])\W*$")
_PUNCT = re.compile(r"[\W_]+")


def extract(html: bytes | str, *, url: str | None = None, content_type: str | None = None) -> str:
    """Return the main text of an article page, one paragraph per line; raise ExtractError."""
    page = decode_html(html, content_type) if isinstance(html, bytes) else html
    page = clean_chars(page)
    if not page.strip():
        raise ExtractError("extract: empty page")
    tree = trafilatura.load_html(page)
    if tree is None:  # not HTML at all, or a document too broken for lxml
        raise ExtractError("extract: no main text found")
    headlines = _headlines(tree)
    # The recall pass keeps more of the page (and more of its furniture): only when the precise
    # one finds nothing.
    for focus in ("precision", "recall"):
        text = _tidy(plain_text(_main_text(tree, url, focus)), headlines)
        words = word_count(text)
        if words >= MIN_WORDS:
            if focus == "recall":
                log.info("extract fell back url=%s pass=recall words=%d", url, words)
            log.debug("article extracted url=%s pass=%s words=%d", url, focus, words)
            return text
    raise ExtractError("extract: no main text found")


def _main_text(tree: lxml.html.HtmlElement, url: str | None, focus: str) -> str:
    text = trafilatura.extract(
        tree,
        url=url,
        favor_precision=focus == "precision",
        favor_recall=focus == "recall",
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        include_formatting=False,
        output_format="txt",
        deduplicate=False,
        with_metadata=False,
    )
    return text or ""


def _norm(text: str) -> str:
    return _PUNCT.sub(" ", text.casefold()).strip()


def _headlines(tree: lxml.html.HtmlElement) -> set[str]:
    """Return the page's headline candidates (normalized): <h1>, og:title, <title>."""
    found: list[str] = []
    for xpath in ("//h1", "//title", "//meta[@property='og:title']/@content"):
        try:
            nodes = tree.xpath(xpath)
        except lxml.etree.XPathError:
            continue
        for node in nodes[:3]:
            value = node if isinstance(node, str) else node.text_content()
            found.append(_norm(one_line(value)))
    return {h for h in found if h}


def _is_headline(line: str, headlines: set[str]) -> bool:
    norm = _norm(line)
    # "<title>" often carries the site name too: "Headline | Site", "Headline – Site".
    return bool(norm) and any(h == norm or h.startswith(norm + " ") for h in headlines)


def _tidy(text: str, headlines: set[str]) -> str:
    """Return `text` without the repeated headline, promo lines and repeated quotes."""
    lines = text.split("\n")
    if lines and _is_headline(lines[0], headlines):
        lines = lines[1:]
    lines = [ln for ln in lines if not _PROMO.match(ln) and not _AD_LINE.match(ln)]
    kept: list[str] = []
    norms = [_norm(ln) for ln in lines]
    for i, (line, norm) in enumerate(zip(lines, norms, strict=True)):
        if norm in norms[:i]:
            continue  # the same paragraph twice (sticky headers, mobile + desktop copies)
        # A pull quote repeats part of a paragraph; only drop longish ones, so that a short
        # line like "Key facts" never disappears because some paragraph contains its words.
        if len(norm) >= 30 and any(norm in other and norm != other for other in norms):
            continue
        kept.append(line)
    return "\n".join(kept)


def is_teaser(text: str, *, min_words: int) -> bool:
    """Return whether a feed's text is only a teaser worth replacing with the article page.

    True when it has fewer than `min_words` words, when it ends with a "read more" link,
    or when it ends with an ellipsis and is shorter than three times `min_words`.
    `min_words <= 0` turns extraction off: nothing is a teaser.
    """
    if min_words <= 0:
        return False
    words = word_count(text)
    if words < min_words:
        return True
    tail = text.rstrip()[-60:]
    if _MORE.search(tail):
        return True
    return words < 3 * min_words and _ELLIPSIS.search(tail) is not None

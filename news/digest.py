"""Build a digest: pick a window's articles, merge one story told by several feeds, rank, cap.

Window. An article belongs to the window (since, until] when it *arrived* in it (fetched_at),
not when it claims to have been published: an article dated 07:55 but fetched at 08:05 still
reaches the digest after 08:05 instead of falling between two digests, and no article is in two
consecutive digests. Feeds that invent dates (future ones included) cannot move it either.
Which of a window's articles reach build_digest, and how an archive dump is capped and counted
(the digest's `older`), is news.digests' rule.

Same story. Two articles are one story when their links are equal after normalization (scheme,
host case, "www.", default port, trailing slash, fragment and tracking parameters like utm_*,
fbclid, gclid ignored), or when they come from *different* feeds and their titles are
near-identical: the sets of words (case-folded, NFKC, a few English stop words and the feed's own
" - Source" suffix dropped) have a Jaccard similarity of at least 0.8, both have at least three
such words, and numbers in both titles agree. Word sets rather than difflib's character ratio:
"Apple unveils new iPhone" and "Apple unveils new iPad" are 0.87 alike by characters, but 0.6 by
words. The number rule keeps "day 500" and "day 501" apart; the feed rule keeps a feed's daily
"Morning briefing" items apart. Stories are the connected groups of that relation.

Which article shows a story. The earliest summarized one (the first to report it, with a real
summary rather than the text's opening); the other feeds are listed after its source.

Order: most important first. With only feeds to go on, the best cheap signal of importance is how
many independent feeds carry a story, so stories covered by more feeds come first, then newer
ones, then the lower article id. A subscriber with one feed simply gets newest first. The cap
keeps the top `limit` stories, so what is cut is the least covered, oldest news.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit

from news import words
from news.models import Article, Digest, DigestItem

# Jaccard threshold 4/5, kept as integers so the comparison is exact.
_JACCARD_NUM, _JACCARD_DEN = 4, 5
_MIN_TITLE_WORDS = 3
FALLBACK_SENTENCES = 2
FALLBACK_CHARS = 300

_TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "gclsrc", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid"}
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_STOP_WORDS = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in",
        "is", "it", "its", "of", "on", "or", "s", "the", "to", "was", "were", "with",
    }
)  # fmt: skip
_TITLE_SEPARATORS = (" - ", " – ", " — ", " | ", ": ")
_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


@dataclass(frozen=True, slots=True)
class _Key:
    """What same-story matching compares, computed once per article."""

    feed_id: int
    link: str | None
    words: frozenset[str]
    numbers: frozenset[str]


def normalize_link(url: str | None) -> str | None:
    """Return the comparable form of `url` (tracking and cosmetic parts dropped), or None."""
    if not url or not url.strip():
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").removeprefix("www.")
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    query = sorted(
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not name.lower().startswith("utm_") and name.lower() not in _TRACKING_PARAMS
    )
    # http and https copies of one page are the same story.
    prefix = "" if scheme in _DEFAULT_PORTS else f"{scheme}:"
    path = parts.path.rstrip("/")
    return f"{prefix}//{host}{path}" + (f"?{urlencode(query)}" if query else "")


def title_words(title: str, feed_title: str | None = None) -> list[str]:
    """Return the comparable words of a title: folded, without stop words or the feed's name."""
    text = unicodedata.normalize("NFKC", title).casefold().strip()
    if feed_title:
        name = unicodedata.normalize("NFKC", feed_title).casefold().strip()
        for separator in _TITLE_SEPARATORS:
            if name and text.endswith(separator + name):
                text = text[: -len(separator + name)]
                break
    return [word for word in _WORD.findall(text) if word not in _STOP_WORDS]


def _key(article: Article) -> _Key:
    return _key_of(article.feed_id, article.url, article.title, article.feed_title)


class StoryKeys:
    """What each article's story is recognized by, worked out once per article.

    Planning builds one digest per window over mostly the same articles: it passes one
    StoryKeys to all of them. It lives as long as the planning run, so nothing accumulates in
    a long-running worker.
    """

    def __init__(self) -> None:
        self._keys: dict[tuple[int, str | None, str, str | None], _Key] = {}

    def __call__(self, article: Article) -> _Key:
        fields = (article.feed_id, article.url, article.title, article.feed_title)
        key = self._keys.get(fields)
        if key is None:
            key = self._keys[fields] = _key_of(*fields)
        return key


def _key_of(feed_id: int, url: str | None, title: str, feed_title: str | None) -> _Key:
    words = frozenset(title_words(title, feed_title))
    numbers = frozenset(word for word in words if _DIGIT.search(word))
    link = normalize_link(url)
    # Some feeds give every item their home page as link: a site root names no story.
    if link is not None and link.startswith("//") and not re.search(r"[/?]", link[2:]):
        link = None
    return _Key(feed_id, link, words, numbers)


def _keys_match(a: _Key, b: _Key) -> bool:
    if a.link is not None and a.link == b.link:
        return True
    if a.feed_id == b.feed_id:
        return False
    if min(len(a.words), len(b.words)) < _MIN_TITLE_WORDS:
        return False
    if a.numbers and b.numbers and a.numbers != b.numbers:
        return False
    shared = len(a.words & b.words)
    union = len(a.words) + len(b.words) - shared
    return _JACCARD_DEN * shared >= _JACCARD_NUM * union


def same_story(a: Article, b: Article) -> bool:
    """Return whether two articles tell the same story (same link, or near-identical titles)."""
    return a.id == b.id or _keys_match(_key(a), _key(b))


def _prefix(words: frozenset[str]) -> list[str]:
    # Prefix filtering: two sets with Jaccard >= t share a word among the first
    # |x| - ceil(t * |x|) + 1 words of each, in any fixed global order.
    keep = len(words) - (_JACCARD_NUM * len(words) + _JACCARD_DEN - 1) // _JACCARD_DEN + 1
    return sorted(words)[:keep]


def _root(parent: list[int], i: int) -> int:
    """Return the root of `i` in a union-find forest, halving the path on the way."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _stories(
    articles: Sequence[Article], key_of: Callable[[Article], _Key] = _key
) -> list[list[Article]]:
    """Return the articles grouped into stories (connected groups of same_story)."""
    keys = [key_of(article) for article in articles]
    parent = list(range(len(articles)))

    by_link: dict[str, int] = {}
    by_word: defaultdict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        candidates: set[int] = set()
        if key.link is not None:
            if key.link in by_link:
                candidates.add(by_link[key.link])
            by_link.setdefault(key.link, i)
        if len(key.words) >= _MIN_TITLE_WORDS:
            for word in _prefix(key.words):
                candidates.update(by_word[word])
                by_word[word].append(i)
        for j in candidates:
            if _keys_match(key, keys[j]):
                parent[_root(parent, i)] = _root(parent, j)
    groups: defaultdict[int, list[Article]] = defaultdict(list)
    for i, article in enumerate(articles):
        groups[_root(parent, i)].append(article)
    return list(groups.values())


class StoryGraph:
    """Which articles of one window's pool tell the same story, worked out once for them all.

    Chats reading feeds of their own each get a subset of one pool (news.digests): stories()
    groups a subset exactly as _stories would, from the pairs matched here once, instead of
    comparing titles again for every chat.
    """

    def __init__(self, articles: Sequence[Article], key_of: Callable[[Article], _Key] = _key):
        self.matches: defaultdict[int, list[int]] = defaultdict(list)  # id -> matching ids
        self.by_link: defaultdict[str, list[int]] = defaultdict(list)
        self.link_of: dict[int, str] = {}
        self._neighbors: dict[int, tuple[int, ...]] = {}
        self._ranks: dict[int, tuple[int, float, int]] = {}
        self._items: dict[int, DigestItem] = {}
        by_word: defaultdict[str, list[tuple[int, _Key]]] = defaultdict(list)
        for article in {a.id: a for a in articles}.values():
            key = key_of(article)
            if key.link is not None:
                self.by_link[key.link].append(article.id)
                self.link_of[article.id] = key.link
            if len(key.words) >= _MIN_TITLE_WORDS:
                seen: set[int] = set()
                for word in _prefix(key.words):
                    for other_id, other in by_word[word]:
                        if other_id not in seen and _keys_match(key, other):
                            self.matches[article.id].append(other_id)
                        seen.add(other_id)
                    by_word[word].append((article.id, key))

    def neighbors(self, article_id: int) -> tuple[int, ...]:
        """Return the ids of the pool's other articles that tell this one's story directly."""
        found = self._neighbors.get(article_id)
        if found is None:
            link = self.link_of.get(article_id)
            linked = self.by_link[link] if link is not None else []
            ids = dict.fromkeys([*self.matches.get(article_id, ()), *linked])
            ids.pop(article_id, None)
            found = self._neighbors[article_id] = tuple(ids)
        return found

    def rank(self, story: list[Article]) -> tuple[int, float, int]:
        """Return _rank(story), remembered for single-article stories."""
        if len(story) != 1:
            return _rank(story)
        found = self._ranks.get(story[0].id)
        if found is None:
            found = self._ranks[story[0].id] = _rank(story)
        return found

    def item(self, story: list[Article]) -> DigestItem:
        """Return _item(story), remembered for single-article stories."""
        if len(story) != 1:
            return _item(story)
        found = self._items.get(story[0].id)
        if found is None:
            found = self._items[story[0].id] = _item(story)
        return found

    def stories(self, articles: Sequence[Article]) -> list[list[Article]]:
        """Return these articles (all from the pool) grouped into stories, as _stories does."""
        index = {a.id: i for i, a in enumerate(articles)}
        parent = list(range(len(articles)))

        joined = False
        for i, article in enumerate(articles):
            for other_id in self.neighbors(article.id):
                j = index.get(other_id)
                if j is not None:
                    parent[_root(parent, i)] = _root(parent, j)
                    joined = True
        if not joined:  # the usual case: every article a story of its own
            return [[article] for article in articles]
        groups: defaultdict[int, list[Article]] = defaultdict(list)
        for i, article in enumerate(articles):
            groups[_root(parent, i)].append(article)
        return list(groups.values())


def article_time(article: Article) -> datetime:
    """Return when an article appeared: its published date, but never later than its fetch."""
    if article.published_at is None:
        return article.fetched_at
    return min(article.published_at, article.fetched_at)


def summary_lines(article: Article) -> list[str]:
    """Return the article's summary sentences, or the opening of its text when unsummarized."""
    if article.summary:
        lines = [line.strip() for line in article.summary.split("\n") if line.strip()]
        if lines:
            return lines
    return opening(article.text)


def opening(text: str) -> list[str]:
    """Return the first two sentences of `text`, at most about 300 characters."""
    flat = " ".join(text.split())
    if not flat:
        return []
    chosen: list[str] = []
    used = 0
    for sentence in _SENTENCE_END.split(flat):
        if len(chosen) >= FALLBACK_SENTENCES or (chosen and used + len(sentence) > FALLBACK_CHARS):
            break
        chosen.append(sentence)
        used += len(sentence) + 1
    if len(chosen[0]) > FALLBACK_CHARS:
        cut = chosen[0][:FALLBACK_CHARS].rsplit(" ", 1)[0]
        chosen = [cut.rstrip(" ,;:-") + "…"]
    return chosen


def source_name(article: Article) -> str:
    """Return the name to show for an article's source: its feed, else its site's host."""
    if article.feed_title and article.feed_title.strip():
        return " ".join(article.feed_title.split())
    host = urlsplit(article.url or "").hostname
    return host.removeprefix("www.") if host else words.UNKNOWN_SOURCE


def _lead(story: list[Article]) -> Article:
    """Return the article that shows a story: the earliest with a summary, else the earliest."""
    if len(story) == 1:  # most stories: a planning run ranks thousands of them
        return story[0]
    return min(story, key=lambda a: (not (a.summary and a.summary.strip()), article_time(a), a.id))


def _rank(story: list[Article]) -> tuple[int, float, int]:
    """Return a story's sort key: more feeds first, then newer, then lower id."""
    lead = _lead(story)
    feeds = 1 if len(story) == 1 else len({article.feed_id for article in story})
    return -feeds, -article_time(lead).timestamp(), lead.id


def _item(story: list[Article]) -> DigestItem:
    """Return how a story appears in the digest, naming every feed that carried it."""
    lead = _lead(story)
    sources: list[str] = []
    for article in [lead, *sorted(story, key=lambda a: (article_time(a), a.id))]:
        name = source_name(article)
        if name not in sources:
            sources.append(name)
    return DigestItem(
        feed_id=lead.feed_id,
        article_id=lead.id,
        title=" ".join(lead.title.split()) or words.UNTITLED,
        source=", ".join(sources),
        url=lead.url,
        published_at=article_time(lead),
        summary=summary_lines(lead),
    )


def build_digest(
    articles: Sequence[Article],
    *,
    since: datetime,
    until: datetime,
    limit: int,
    keys: StoryKeys | None = None,
    older: Mapping[int, int] | None = None,
    graph: StoryGraph | None = None,
) -> Digest:
    """Return the digest of the articles that arrived in (since, until], at most `limit` items.

    `keys` shares the story keys between digests built over the same articles. `older` counts,
    per feed id, the window's old items left out of `articles`; the digest names their sources.
    `graph` (covering every article given) groups them into stories instead of `keys`.
    """
    if limit < 0:
        raise ValueError("digest: limit must not be negative")
    unique = {a.id: a for a in articles if since < a.fetched_at <= until}
    if graph is not None:
        # A story's rank ends in its lead's id, so the order of grouping does not matter; the
        # graph ranks and shows single-article stories once for every chat of the run.
        in_window = list(unique.values())
        stories = sorted(graph.stories(in_window), key=graph.rank)
        items = [graph.item(story) for story in stories[:limit]]
    else:
        in_window = sorted(unique.values(), key=lambda a: (article_time(a), a.id))
        stories = sorted(_stories(in_window, keys or _key), key=_rank)
        items = [_item(story) for story in stories[:limit]]
    return Digest(
        since=since,
        until=until,
        items=items,
        total=len(stories),
        older=_older(in_window, older or {}),
    )


def _older(articles: Sequence[Article], counts: Mapping[int, int]) -> tuple[tuple[str, int], ...]:
    """Return (source, count) per feed that had old items left out, the largest count first."""
    names = {a.feed_id: source_name(a) for a in articles if a.feed_id in counts}
    named = [(names.get(feed_id, words.UNKNOWN_SOURCE), n) for feed_id, n in counts.items()]
    return tuple(sorted(named, key=lambda pair: (-pair[1], pair[0])))

"""Search snippets: a short excerpt around the matched words, built in Python for both backends.

Why not FTS5 snippet() / ts_headline(): the ranking pass only yields ids and scores, and
asking the index for snippets afterwards costs a second evaluation of the query per result
(~0.15 ms a row for a phrase on FTS5; ts_headline re-parses the whole text). Here a word
matches when it has the query word's stem under the Porter stemmer (what FTS5's `porter`
tokenizer uses) or the Snowball one (PostgreSQL's `english`), after removing diacritics.
Matches are wrapped in MARK_START/MARK_END; callers escape the text and turn the marks into
their own highlighting.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from nltk.stem.porter import PorterStemmer
from nltk.stem.snowball import SnowballStemmer

MARK_START = "\x02"
MARK_END = "\x03"
ELLIPSIS = "…"
SNIPPET_WORDS = 24
# The snippet is looked for in this much text; the index covers the same (see 0001's tsv).
SCAN_CHARS = 100_000

# Words: runs of anything but spaces and punctuation, so combining marks stay inside a word.
_TOKEN = re.compile(
    r"[^\s\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f\xa0-\xbf\u2000-\u206f\u3000-\u303f]+"
)
_PORTER = PorterStemmer(mode=PorterStemmer.ORIGINAL_ALGORITHM)
_SNOWBALL = SnowballStemmer("english")


@lru_cache(maxsize=4096)
def fold(word: str) -> str:
    """Return `word` lowercased without diacritics (as FTS5's remove_diacritics does)."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=8192)
def _stems(word: str) -> tuple[str, str]:
    folded = fold(word)
    return _PORTER.stem(folded, to_lowercase=False), _SNOWBALL.stem(folded)


def words(text: str) -> list[str]:
    """Return the words of `text` as snippets see them."""
    return _TOKEN.findall(text)


class Matcher:
    """Tells whether a word of the text matches one of the query's words."""

    def __init__(self, words: Iterable[str], prefixes: Iterable[str]) -> None:
        self.stems = {w: _stems(w) for w in {fold(w) for w in words}}
        self.prefixes = tuple(fold(p) for p in prefixes)
        # Stemming every word of a text is slow; only words sharing a query word's first
        # letters are looked at (stems keep a word's start).
        starts = {w[:2] for w in (*self.stems, *self.prefixes) if w}
        self.starts = tuple(sorted(starts, key=len, reverse=True))

    def match(self, token: str) -> str | None:
        """Return the query word `token` matches, or None."""
        if not fold(token[:2]).startswith(self.starts) or not self.starts:
            return None
        folded = fold(token)
        for prefix in self.prefixes:
            if folded.startswith(prefix):
                return prefix
        porter, snowball = _stems(folded)
        for word, (p, s) in self.stems.items():
            if porter == p or snowball == s or folded == word:
                return word
        return None


def _fold_table() -> dict[int, str]:
    table = {}
    for code in range(0xC0, 0x250):
        base = unicodedata.normalize("NFKD", chr(code))[0]
        if base != chr(code) and base.isascii():
            table[code] = base
    return table


# Same-length folding (é -> e), so positions in the folded text are positions in the text.
_FOLD = _fold_table()
_BACK_CHARS = 40  # context before the first match
_CHARS_PER_WORD = 7


def _hits(text: str, matcher: Matcher) -> list[tuple[int, int, str]]:
    """Return (start, end, query word) of every matching word in `text`."""
    if not matcher.starts:
        return []
    starts = "|".join(re.escape(s) for s in matcher.starts)
    folded = text if text.isascii() else text.translate(_FOLD)
    candidates = re.finditer(rf"\b(?:{starts})\w*", folded, re.IGNORECASE)
    hits = []
    for candidate in candidates:
        begin, finish = candidate.span()
        word = matcher.match(text[begin:finish])
        if word is not None:
            hits.append((begin, finish, word))
    return hits


def _best_start(hits: list[tuple[int, int, str]], span: int) -> int:
    """Return the position where `span` characters hold the most distinct query words."""
    best, best_count = hits[0][0], 0
    for i, (start, _, _) in enumerate(hits):
        found = {w for pos, _, w in hits[i:] if pos < start + span}
        if len(found) > best_count:
            best, best_count = start, len(found)
    return best


def snippet(text: str, matcher: Matcher, *, words: int = SNIPPET_WORDS) -> str | None:
    """Return an excerpt of `text` with matches marked, or None if no word matches."""
    text = text[:SCAN_CHARS]
    hits = _hits(text, matcher)
    if not hits:
        return None
    span = words * _CHARS_PER_WORD
    anchor = _best_start(hits[:64], span - _BACK_CHARS)
    begin = max(0, anchor - _BACK_CHARS)
    if begin > 0:  # start at a word boundary
        space = text.find(" ", begin, anchor)
        begin = space + 1 if space >= 0 else anchor
    finish = min(len(text), begin + span)
    if finish < len(text):
        space = text.rfind(" ", anchor, finish)
        finish = space if space > anchor else finish
    out: list[str] = [ELLIPSIS] if begin > 0 else []
    cursor = begin
    for start, end, _ in hits:
        if start >= begin and end <= finish:
            out += [text[cursor:start], MARK_START, text[start:end], MARK_END]
            cursor = end
    out.append(text[cursor:finish])
    if finish < len(text):
        out.append(ELLIPSIS)
    return " ".join("".join(out).split())


def first_words(text: str, words: int = SNIPPET_WORDS) -> str:
    """Return the beginning of `text` (a snippet for results matched by title only)."""
    parts = text.split()
    head = " ".join(parts[:words])
    return head + (ELLIPSIS if len(parts) > words else "")

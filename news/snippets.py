"""Search snippets: a short excerpt around the matched words, built in Python for both backends.

Why not FTS5 snippet() / ts_headline(): the ranking pass only yields ids and scores, and
asking the index for snippets afterwards evaluates the query again for every result
(ts_headline even re-parses the whole text). Here a word matches when it has the query word's
stem under the Porter stemmer (what FTS5's `porter` tokenizer uses) or the Snowball one
(PostgreSQL's `english`), after removing diacritics. Matches are wrapped in
MARK_START/MARK_END; callers escape the text and turn the marks into their own highlighting.

One scan: a Matcher is built once per search (stems, one compiled pattern). Stemming only
rewrites a word's last STEM_SLACK letters, so a text word can only match if it starts with a
query stem minus those letters: the pattern finds such candidates, and only they are folded
and stemmed. A text is read up to SCAN_CHARS and until MAX_HITS matches are found (the excerpt
is chosen among the first ones anyway).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import cast

from nltk.stem.porter import PorterStemmer
from nltk.stem.snowball import SnowballStemmer

from news.text import first_words

MARK_START = "\x02"
MARK_END = "\x03"
ELLIPSIS = "…"
SNIPPET_WORDS = 24
# Matches further into a text than this are not looked for: scanning is linear in the text,
# and a match that deep rarely makes the best excerpt (the title is shown anyway).
SCAN_CHARS = 20_000
MAX_HITS = 64
# How many trailing letters a stemmer may rewrite ("dying" -> "die", "ability" -> "abl"),
# checked on 37,750 English words for both stemmers.
STEM_SLACK = 2

# Words: runs of anything but spaces and punctuation, so combining marks stay inside a word.
_WORD_CHARS = r"[^\s\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f\xa0-\xbf\u2000-\u206f\u3000-\u303f]"
_TOKEN = re.compile(_WORD_CHARS + "+")
_WORD_CHAR = re.compile(_WORD_CHARS)
# The rest of a word, matched apart from the query's prefixes: compiled into each query's
# pattern, this large class would make every new query's first search slow.
_WORD_REST = re.compile(_WORD_CHARS + "*")
_PORTER = PorterStemmer(mode=PorterStemmer.ORIGINAL_ALGORITHM)
_SNOWBALL = SnowballStemmer("english")


@lru_cache(maxsize=4096)
def fold(word: str) -> str:
    """Return `word` lowercased without diacritics (as FTS5's remove_diacritics does)."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def stems(word: str) -> tuple[str, str]:
    """Return the Porter (FTS5 `porter`) and Snowball (PostgreSQL `english`) stems of `word`."""
    folded = fold(word)
    return _PORTER.stem(folded, to_lowercase=False), _SNOWBALL.stem(folded)


def words(text: str) -> list[str]:
    """Return the words of `text` as snippets see them."""
    return _TOKEN.findall(text)


def _accented() -> dict[str, str]:
    """Return, for each ASCII letter, a regex class of it and its lowercase accented forms."""
    forms: dict[str, set[str]] = {}
    for code in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00)):
        char = chr(code)
        base = unicodedata.normalize("NFKD", char)[0]
        if char == char.lower() and base != char and base.isascii() and base.isalpha():
            forms.setdefault(base.lower(), set()).add(char)
    return {base: "[" + base + "".join(sorted(chars)) + "]" for base, chars in forms.items()}


_ACCENTED = _accented()
_ACCENTED_LOWER = {c for form in _ACCENTED.values() for c in form[2:-1]}
_ACCENTED_ANY = _ACCENTED_LOWER | {
    c.upper() for c in _ACCENTED_LOWER if len(c.upper()) == 1 and not c.upper().isascii()
}
_ACCENTED_LETTER = re.compile("[" + "".join(sorted(_ACCENTED_ANY)) + "]")


def _start(stem: str) -> str:
    return stem[: max(len(stem) - STEM_SLACK, 1)]


def _alternative(start: str, accented: bool) -> str:
    """Return a regex matching `start` in lowercased text (its letters accented or not)."""
    if not accented:
        return re.escape(start)
    return "".join(_ACCENTED.get(c, re.escape(c)) for c in start)


def _pattern(starts: Iterable[str], *, accented: bool) -> str:
    """Return a regex finding `starts` (their letters accented or not) in lowercased text."""
    kept: list[str] = []
    for start in sorted(set(starts), key=len):
        if start and not any(start.startswith(shorter) for shorter in kept):
            kept.append(start)
    return "|".join(_alternative(start, accented) for start in kept)


@lru_cache(maxsize=256)
def matcher(words: tuple[str, ...], prefixes: tuple[str, ...]) -> Matcher:
    """Return the Matcher of a query's words and prefixes (the pages of a search share it)."""
    return Matcher(words, prefixes)


class Matcher:
    """Tells whether a word of the text matches one of the query's words, and finds them.

    One Matcher may serve any number of searches. Its patterns are compiled when a text first
    needs them: the one that also finds accented forms (slow to compile) only for texts with
    accented Latin letters.
    """

    def __init__(self, words: Iterable[str], prefixes: Iterable[str]) -> None:
        self.stems = {w: stems(w) for w in {fold(w) for w in words} if w}
        self.prefixes = tuple(p for p in (fold(p) for p in prefixes) if p)
        self._starts = [*self.prefixes, *(_start(s) for p in self.stems.values() for s in p)]
        self._patterns: dict[tuple[bool, bool], re.Pattern[str]] = {}

    def _pattern(self, accented: bool, any_case: bool) -> re.Pattern[str]:
        key = (accented, any_case)
        pattern = self._patterns.get(key)
        if pattern is None:
            source = _pattern(self._starts, accented=accented)
            pattern = re.compile(source, re.IGNORECASE if any_case else 0)
            self._patterns[key] = pattern
        return pattern

    def match(self, token: str) -> str | None:
        """Return the query word `token` matches, or None."""
        folded = fold(token)
        for prefix in self.prefixes:
            if folded.startswith(prefix):
                return prefix
        porter, snowball = stems(folded)
        for word, (p, s) in self.stems.items():
            if porter == p or snowball == s or folded == word:
                return word
        return None

    def find(self, text: str) -> Iterator[_Hit] | None:
        """Return an iterator of (start, end, query word) of the words of `text` that match.

        None when no word can: most texts of a result match nothing (a rare word is usually
        found in the title only), so the candidates are looked for before setting anything up.
        """
        if not self._starts:
            return None
        lowered = text.lower()
        if text.isascii():
            pattern = self._pattern(accented=False, any_case=False)
        else:
            # str.lower() keeps positions except for a few letters (İ): such texts are
            # searched as they are, ignoring case.
            any_case = len(lowered) != len(text)
            if any_case:
                lowered = text
            accented = _ACCENTED_LETTER.search(lowered) is not None
            pattern = self._pattern(accented, any_case)
        first = pattern.search(lowered)
        if first is None:
            return None
        return self._words(text, lowered, pattern.finditer(lowered, first.start()))

    def _words(
        self, text: str, lowered: str, candidates: Iterator[re.Match[str]]
    ) -> Iterator[_Hit]:
        rest = _WORD_REST.match
        for candidate in candidates:
            begin = candidate.start()
            if begin and _WORD_CHAR.match(lowered, begin - 1):
                continue  # inside a word, not at its start
            finish = cast(re.Match[str], rest(lowered, candidate.end())).end()  # may be empty
            word = self.match(text[begin:finish])
            if word is not None:
                yield begin, finish, word


_Hit = tuple[int, int, str]
_BACK_CHARS = 40  # context before the first match
_CHARS_PER_WORD = 7


def _best_start(hits: list[_Hit], span: int) -> int:
    """Return the position where `span` characters hold the most distinct query words."""
    best, best_count = hits[0][0], 0
    counts: dict[str, int] = {}
    end = 0
    for start, _, word in hits:
        while end < len(hits) and hits[end][0] < start + span:
            counts[hits[end][2]] = counts.get(hits[end][2], 0) + 1
            end += 1
        if len(counts) > best_count:
            best, best_count = start, len(counts)
        counts[word] -= 1
        if not counts[word]:
            del counts[word]
    return best


def _bounds(text: str, anchor: int, span: int) -> tuple[int, int]:
    """Return the excerpt's start and end around `anchor`, at word boundaries."""
    begin = max(0, anchor - _BACK_CHARS)
    if begin > 0:
        space = text.find(" ", begin, anchor)
        begin = space + 1 if space >= 0 else anchor
    finish = min(len(text), begin + span)
    if finish < len(text):
        space = text.rfind(" ", anchor, finish)
        finish = space if space > anchor else finish
    return begin, finish


def snippet(text: str, matcher: Matcher, *, words: int = SNIPPET_WORDS) -> str | None:
    """Return an excerpt of `text` with matches marked, or None if no word matches."""
    text = text[:SCAN_CHARS]
    found = matcher.find(text)
    if found is None:
        return None
    hits = list(itertools.islice(found, MAX_HITS))
    if not hits:
        return None
    span = words * _CHARS_PER_WORD
    begin, finish = _bounds(text, _best_start(hits, span - _BACK_CHARS), span)
    if len(hits) == MAX_HITS:  # the excerpt may run past the last hit read
        hits += itertools.takewhile(lambda hit: hit[0] < finish, found)
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


def excerpt(summary: str | None, text: str, matcher: Matcher) -> str:
    """Return the snippet of a result: from its summary if a word matches there, else from its
    text, else (a match in the title only) the summary's or the text's first words."""
    if not summary:
        return snippet(text, matcher) or _opening(text)
    # One scan of both finds the first match, so only the text that has it is read again
    # (most results of a rare word match by their title only: then nothing is).
    found = matcher.find(summary + "\n" + text[:SCAN_CHARS])
    first = None if found is None else next(found, None)
    if first is None:
        return _opening(summary)
    if first[0] < len(summary):
        return snippet(summary, matcher) or _opening(summary)
    return snippet(text, matcher) or _opening(summary)


def _opening(text: str) -> str:
    return first_words(text, words=SNIPPET_WORDS, max_chars=None)

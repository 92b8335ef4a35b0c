"""Percolation: which saved queries (alerts, filters) a new article matches, without trying all.

A search runs one query against many articles; percolation runs one article against many saved
queries. Trying every query on every article costs (articles x queries), so, as Lucene's
Monitor and Elasticsearch's percolator do, each query is indexed under the stems of one of its
required groups (the group whose terms are rarest): an article can only match a query if it
holds one of those stems. An article's stems look up the candidate queries, and only those are
verified with the full query.

Matching follows the database's own index, so a saved query matches exactly the articles a
search finds: words are runs of letters and digits, folded (lowercase, no diacritics) and
stemmed with Porter on SQLite (FTS5 `porter`) or Snowball on PostgreSQL (`english`, which also
drops English stop words, keeping their positions). A phrase matches consecutive words of one
field (title, summary, text) on SQLite, of the fields run together on PostgreSQL (as its
tsvector concatenation does); a prefix matches the stems starting with its own stem.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from news.models import ParsedQuery, Term
from news.query import STOP_WORDS
from news.snippets import fold, stems

__all__ = ["PORTER", "SNOWBALL", "CompiledQuery", "Document", "Percolator", "compile_query"]

PORTER, SNOWBALL = 0, 1  # which stemmer the database's full-text index uses
# PostgreSQL indexes left(text, 100000) (migration 0002); FTS5 the whole text.
PG_TEXT_CHARS = 100_000
# Prefix queries are indexed under their stem's first (at most PREFIX_KEY) letters; articles
# offer each stem's first MIN_PREFIX_KEY to PREFIX_KEY letters; shorter stems are always tried.
MIN_PREFIX_KEY, PREFIX_KEY = 3, 5
_PREFIX_MARK = "\x00"

_WORD = re.compile(r"[^\W_]+")  # letters and digits, as FTS5 unicode61 and the query parser
_Position = tuple[int, int]  # (field, word)
K = TypeVar("K", bound=Hashable)


def stemmer_for(is_sqlite: bool) -> int:
    """Return the stemmer of the database's index (PORTER for SQLite, SNOWBALL for PostgreSQL)."""
    return PORTER if is_sqlite else SNOWBALL


def _stem(word: str, stemmer: int) -> str | None:
    """Return the stem the index keeps for `word`, or None (a stop word PostgreSQL drops)."""
    if stemmer == SNOWBALL and fold(word) in STOP_WORDS:
        return None
    return stems(word)[stemmer]


@dataclass(frozen=True, slots=True)
class Document:
    """An article as the index sees it: each field's stems in order, and where each stem is."""

    fields: tuple[tuple[str | None, ...], ...]
    positions: dict[str, list[_Position]]
    sorted_stems: list[str]
    prefix_keys: frozenset[str]  # the keys prefix queries are indexed under


def document(stemmer: int, *fields: str | None) -> Document:
    """Return the Document of an article's fields (title, summary, text)."""
    texts = [text or "" for text in fields]
    if stemmer == SNOWBALL and texts:
        texts[-1] = texts[-1][:PG_TEXT_CHARS]
    stemmed = [[_stem(word, stemmer) for word in _WORD.findall(text)] for text in texts]
    if stemmer == SNOWBALL:
        stemmed = [_concatenated(stemmed)]
    positions: dict[str, list[_Position]] = {}
    for number, row in enumerate(stemmed):
        for index, stem in enumerate(row):
            if stem is not None:
                positions.setdefault(stem, []).append((number, index))
    prefix_keys = frozenset(
        _PREFIX_MARK + stem[:size]
        for stem in positions
        for size in range(MIN_PREFIX_KEY, min(len(stem), PREFIX_KEY) + 1)
    )
    return Document(tuple(map(tuple, stemmed)), positions, sorted(positions), prefix_keys)


def _concatenated(fields: list[list[str | None]]) -> list[str | None]:
    """Return the fields as PostgreSQL's `title || summary || text` tsvector places them.

    Concatenating tsvectors shifts the right one's positions by the left one's last kept
    word, so a phrase may run from one field into the next, over trailing stop words.
    """
    row: list[str | None] = []
    for words in fields:
        while row and row[-1] is None:
            row.pop()
        row += words
    return row


@dataclass(frozen=True, slots=True)
class _Term:
    stems: tuple[str | None, ...]  # None: any word (a stop word inside a PostgreSQL phrase)
    prefix: bool

    def found(self, doc: Document) -> bool:
        if self.prefix:
            stem = self.stems[0] or ""
            at = bisect_left(doc.sorted_stems, stem)
            return at < len(doc.sorted_stems) and doc.sorted_stems[at].startswith(stem)
        first = self.stems[0]
        if first is None:
            return False
        places = doc.positions.get(first)
        if places is None or len(self.stems) == 1:
            return places is not None
        return any(self._phrase_at(doc.fields[f], start) for f, start in places)

    def _phrase_at(self, words: tuple[str | None, ...], start: int) -> bool:
        if start + len(self.stems) > len(words):
            return False
        return all(s is None or words[start + i] == s for i, s in enumerate(self.stems))


def _compile_term(term: Term, stemmer: int) -> _Term | None:
    """Return the term as stems, or None if the index keeps none of its words."""
    if term.prefix:
        return _Term((stems(term.text)[stemmer],), prefix=True)
    found = [_stem(word, stemmer) for word in _WORD.findall(term.text)]
    # phraseto_tsquery drops leading and trailing stop words; inner ones keep their place.
    while found and found[0] is None:
        found.pop(0)
    while found and found[-1] is None:
        found.pop()
    return _Term(tuple(found), prefix=False) if found else None


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    """A parsed query as stems: an AND of groups (each an OR of terms), minus the excluded."""

    groups: tuple[tuple[_Term, ...], ...]
    excluded: tuple[_Term, ...]

    def matches(self, doc: Document) -> bool:
        """Return whether the article matches, as the database's search would find it."""
        # Loops rather than all(any(...)): this runs for every candidate query.
        for group in self.groups:
            for term in group:
                if term.found(doc):
                    break
            else:
                return False
        return all(not term.found(doc) for term in self.excluded)

    @property
    def words_only(self) -> bool:
        """Return whether the query is one word or an OR of words (its stems decide it)."""
        if len(self.groups) != 1 or self.excluded:
            return False
        return all(len(term.stems) == 1 and not term.prefix for term in self.groups[0])


def compile_query(parsed: ParsedQuery, stemmer: int) -> CompiledQuery:
    """Return the query ready to match Documents."""
    groups: list[tuple[_Term, ...]] = []
    for group in parsed.groups:
        terms = tuple(t for t in (_compile_term(term, stemmer) for term in group) if t)
        if len(terms) < len(group):
            continue  # an OR with a term of stop words only: PostgreSQL ignores the whole OR
        groups.append(terms)
    excluded = tuple(t for t in (_compile_term(term, stemmer) for term in parsed.excluded) if t)
    return CompiledQuery(tuple(groups), excluded)


def _term_keys(term: _Term) -> list[str]:
    if term.prefix:
        stem = term.stems[0] or ""
        return [_PREFIX_MARK + stem[:PREFIX_KEY]] if len(stem) >= MIN_PREFIX_KEY else []
    return [s for s in term.stems if s is not None]


class Percolator(Generic[K]):
    """Saved queries indexed by their rarest required stems; match() returns those an article
    matches. `frequencies` (stem -> how many articles hold it) tells which stems are rare;
    without it, longer stems count as rarer."""

    def __init__(self, stemmer: int, frequencies: Mapping[str, int] | None = None) -> None:
        self.stemmer = stemmer
        self._frequencies = frequencies or {}
        self._queries: dict[K, CompiledQuery] = {}
        self._keys: dict[K, tuple[str, ...]] = {}
        self._index: dict[str, list[K]] = {}  # stem -> queries to verify
        self._exact: dict[str, list[K]] = {}  # stem -> queries the stem alone matches
        self._always: set[K] = set()
        self._prefixes = 0  # how many index keys are prefix keys

    def __len__(self) -> int:
        return len(self._queries)

    def _rarity(self, key: str) -> tuple[int, int]:
        return self._frequencies.get(key, 0), -len(key)

    def _best_keys(self, query: CompiledQuery) -> tuple[str, ...] | None:
        """Return one key per term of the query's rarest group, or None if one has no key."""
        best: tuple[tuple[int, int], tuple[str, ...]] | None = None
        for group in query.groups:
            keys: list[str] = []
            for term in group:
                candidates = _term_keys(term)
                if not candidates:
                    break
                keys.append(min(candidates, key=self._rarity))
            else:
                cost = sum(self._rarity(key)[0] for key in keys), -min(map(len, keys))
                if best is None or cost < best[0]:
                    best = cost, tuple(dict.fromkeys(keys))
        return None if best is None else best[1]

    def add(self, key: K, parsed: ParsedQuery) -> None:
        """Save (or replace) the query under `key`."""
        self.remove(key)
        query = compile_query(parsed, self.stemmer)
        self._queries[key] = query
        keys = self._best_keys(query)
        if keys is None:
            self._always.add(key)
            return
        self._keys[key] = keys
        index = self._exact if query.words_only else self._index
        for stem in keys:
            index.setdefault(stem, []).append(key)
            self._prefixes += stem.startswith(_PREFIX_MARK)

    def remove(self, key: K) -> None:
        """Forget the query saved under `key`, if any."""
        if self._queries.pop(key, None) is None:
            return
        self._always.discard(key)
        for stem in self._keys.pop(key, ()):
            self._prefixes -= stem.startswith(_PREFIX_MARK)
            index = (
                self._exact if stem in self._exact and key in self._exact[stem] else self._index
            )
            index[stem].remove(key)
            if not index[stem]:
                del index[stem]

    def _lookup(self, doc: Document) -> tuple[set[K], set[K]]:
        """Return (the queries the article matches by a stem alone, the ones to verify)."""
        exact: set[K] = set()
        verify = set(self._always)
        for index, found in ((self._exact, exact), (self._index, verify)):
            for stem in doc.positions:
                queries = index.get(stem)
                if queries is not None:
                    found.update(queries)
        if self._prefixes:
            for prefix in doc.prefix_keys:
                queries = self._index.get(prefix)
                if queries is not None:
                    verify.update(queries)
        return exact, verify - exact

    def candidates(self, doc: Document) -> set[K]:
        """Return the queries the article may match (a superset of match())."""
        exact, verify = self._lookup(doc)
        return exact | verify

    def match(self, doc: Document) -> list[K]:
        """Return the keys of the saved queries the article matches."""
        exact, verify = self._lookup(doc)
        queries = self._queries
        return [*exact, *(key for key in verify if queries[key].matches(doc))]

    def brute_force(self, doc: Document) -> list[K]:
        """Return what match() returns by trying every query (for tests and benchmarks)."""
        return [key for key, query in self._queries.items() if query.matches(doc)]

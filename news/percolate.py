"""Percolation: which saved queries (alerts, filters) a new article matches, without trying all.

A search runs one query against many articles; percolation runs one article against many saved
queries. Trying every query on every article costs (articles x queries), so, as Lucene's
Monitor and Elasticsearch's percolator do, each query is indexed under the stems of one of its
required groups (the group whose terms are rarest): an article can only match a query if it
holds one of those stems. An article's stems look up the candidate queries, and only those are
verified with the full query; equal queries are verified once, and a query one key decides (a
word, an OR of words, a short prefix) is not verified at all. Verifying is mostly set algebra
on the article's stems (`required <= terms`, `isdisjoint`), one C call rather than a walk over
the query's terms, so even an article that matches hundreds of queries costs little.

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
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from itertools import chain, count
from typing import Generic, TypeVar, cast

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
    terms: frozenset[str]  # the stems it holds
    keys: frozenset[str]  # the stems and the keys prefix queries are indexed under


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
    terms = frozenset(positions)
    keys = terms.union(
        _PREFIX_MARK + stem[:size]
        for stem in positions
        for size in range(MIN_PREFIX_KEY, min(len(stem), PREFIX_KEY) + 1)
    )
    return Document(tuple(map(tuple, stemmed)), positions, sorted(positions), terms, keys)


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
    key: str | None  # the index key that alone decides the term (a word, a short prefix)

    def found(self, doc: Document) -> bool:
        if self.key is not None:
            return self.key in doc.keys
        if self.prefix:
            stem = self.stems[0] or ""
            at = bisect_left(doc.sorted_stems, stem)
            return at < len(doc.sorted_stems) and doc.sorted_stems[at].startswith(stem)
        places = doc.positions.get(self.stems[0] or "")
        if places is None:
            return False
        size, wanted = len(self.stems), self.stems
        if None in wanted:
            return any(self._phrase_at(doc.fields[f], start) for f, start in places)
        return any(doc.fields[f][start : start + size] == wanted for f, start in places)

    def _phrase_at(self, words: tuple[str | None, ...], start: int) -> bool:
        if start + len(self.stems) > len(words):
            return False
        return all(s is None or words[start + i] == s for i, s in enumerate(self.stems))


def _term(stems: tuple[str | None, ...], prefix: bool) -> _Term:
    first = stems[0]
    if first is None or len(stems) > 1:
        key = None
    elif not prefix:
        key = first
    else:
        key = _PREFIX_MARK + first if MIN_PREFIX_KEY <= len(first) <= PREFIX_KEY else None
    return _Term(stems, prefix, key)


def _compile_term(term: Term, stemmer: int) -> _Term | None:
    """Return the term as stems, or None if the index keeps none of its words."""
    if term.prefix:
        return _term((stems(term.text)[stemmer],), prefix=True)
    found = [_stem(word, stemmer) for word in _WORD.findall(term.text)]
    # phraseto_tsquery drops leading and trailing stop words; inner ones keep their place.
    while found and found[0] is None:
        found.pop(0)
    while found and found[-1] is None:
        found.pop()
    return _term(tuple(found), prefix=False) if found else None


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    """A parsed query as stems: the stems a match must hold (its words, and its phrases'), the
    groups those do not decide (ORs, phrases, prefixes), the words and the terms it excludes.

    Set methods make the usual checks one C call each (`issuperset`, `isdisjoint`; on tuples,
    a quarter of a frozenset's memory); equal queries compile to equal (hashable) values, in
    one order, so the index verifies them once.
    """

    required: tuple[str, ...]
    groups: tuple[tuple[_Term, ...], ...]  # an AND of ORs, beyond `required`
    banned: tuple[str, ...]  # excluded words
    excluded: tuple[_Term, ...]  # excluded phrases and prefixes
    hints: tuple[str, ...] | None  # a key each excluded term needs; None: some need none

    def matches(self, doc: Document) -> bool:
        """Return whether the article matches, as the database's search would find it."""
        terms = doc.terms
        if not (terms.issuperset(self.required) and terms.isdisjoint(self.banned)):
            return False
        # Loops rather than all(any(...)): this runs for every candidate query.
        for group in self.groups:
            for term in group:
                if term.found(doc):
                    break
            else:
                return False
        excluded = self.excluded
        if not excluded or (self.hints is not None and doc.keys.isdisjoint(self.hints)):
            return True  # the article holds no key an excluded term needs
        return not any(term.found(doc) for term in excluded)

    @property
    def exact_keys(self) -> tuple[str, ...] | None:
        """Return the index keys of which any one alone means a match, or None if none do."""
        if self.banned or self.excluded:
            return None
        if len(self.required) == 1 and not self.groups:
            return tuple(self.required)
        if self.required or len(self.groups) != 1:
            return None
        keys = tuple(term.key for group in self.groups for term in group)
        return None if None in keys else cast(tuple[str, ...], keys)


def compile_query(parsed: ParsedQuery, stemmer: int) -> CompiledQuery:
    """Return the query ready to match Documents."""
    required: set[str] = set()
    groups: set[tuple[_Term, ...]] = set()
    for group in parsed.groups:
        terms = [t for t in (_compile_term(term, stemmer) for term in group) if t]
        if len(terms) < len(group):
            continue  # an OR with a term of stop words only: PostgreSQL ignores the whole OR
        if len(terms) == 1 and not terms[0].prefix:
            required.update(s for s in terms[0].stems if s is not None)
            if len(terms[0].stems) == 1:
                continue  # one word: `required` decides it
        groups.add(_in_order(terms))
    excluded = [t for t in (_compile_term(term, stemmer) for term in parsed.excluded) if t]
    banned = {t.key for t in excluded if t.key is not None and not t.prefix}
    others = _in_order(t for t in excluded if t.prefix or len(t.stems) > 1)
    needs = [_term_keys(t)[:1] for t in others]  # a key each needs (none: a short prefix)
    hints = tuple(sorted(k for n in needs for k in n)) if all(needs) else None
    return CompiledQuery(
        tuple(sorted(required)), _in_order(groups), tuple(sorted(banned)), others, hints
    )


T = TypeVar("T", _Term, tuple[_Term, ...])


def _in_order(items: Iterable[T]) -> tuple[T, ...]:
    """Return the items once each, in one order whatever order they came in."""
    return tuple(sorted(set(items), key=repr))


def _term_keys(term: _Term) -> list[str]:
    if term.prefix:
        stem = term.stems[0] or ""
        return [_PREFIX_MARK + stem[:PREFIX_KEY]] if len(stem) >= MIN_PREFIX_KEY else []
    return [s for s in term.stems if s is not None]


class Percolator(Generic[K]):
    """Saved queries indexed by their rarest required stems; match() returns those an article
    matches. `frequencies` (stem -> how many articles hold it) tells which stems are rare;
    without it, longer stems count as rarer.

    Equal queries are kept once, with the keys saved under them. A query one key decides (a
    word, an OR of words, a short prefix) matches on lookup; the others are verified.
    """

    def __init__(self, stemmer: int, frequencies: Mapping[str, int] | None = None) -> None:
        self.stemmer = stemmer
        self._frequencies = frequencies or {}
        self._of: dict[K, int] = {}  # saved key -> query number
        self._numbers: dict[CompiledQuery, int] = {}
        self._queries: dict[int, CompiledQuery] = {}
        self._members: dict[int, list[K]] = {}  # query number -> the keys saved with it
        self._keys: dict[int, tuple[str, ...]] = {}  # query number -> its index keys
        self._index: dict[str, list[int]] = {}  # key -> the queries filed under it
        self._decided: set[int] = set()  # the queries their key alone matches
        self._always: set[int] = set()  # the queries with no key: always verified
        self._next = count()

    def __len__(self) -> int:
        return len(self._of)

    @property
    def distinct(self) -> int:
        """Return how many distinct queries are saved (equal ones count once)."""
        return len(self._queries)

    def _rarity(self, key: str) -> tuple[int, int]:
        return self._frequencies.get(key, 0), -len(key)

    def _best_keys(self, query: CompiledQuery) -> tuple[str, ...] | None:
        """Return one key per term of the query's rarest group, or None if one has no key."""
        options: list[tuple[tuple[int, int], tuple[str, ...]]] = [
            (self._rarity(stem), (stem,)) for stem in query.required
        ]
        for group in query.groups:
            keys: list[str] = []
            for term in group:
                candidates = _term_keys(term)
                if not candidates:
                    break
                keys.append(min(candidates, key=self._rarity))
            else:
                cost = sum(self._rarity(key)[0] for key in keys), -min(map(len, keys))
                options.append((cost, tuple(sorted(set(keys)))))
        return min(options)[1] if options else None

    def add(self, key: K, parsed: ParsedQuery) -> None:
        """Save (or replace) the query under `key`."""
        self.remove(key)
        query = compile_query(parsed, self.stemmer)
        number = self._numbers.get(query)
        if number is None:
            number = self._numbers[query] = next(self._next)
            self._queries[number], self._members[number] = query, [key]
            self._file(number, query)
        else:
            self._members[number].append(key)
        self._of[key] = number

    def _file(self, number: int, query: CompiledQuery) -> None:
        exact = query.exact_keys
        keys = exact or self._best_keys(query)
        if keys is None:
            self._always.add(number)
            return
        self._keys[number] = keys
        if exact is not None:
            self._decided.add(number)
        for stem in keys:
            self._index.setdefault(stem, []).append(number)

    def remove(self, key: K) -> None:
        """Forget the query saved under `key`, if any."""
        number = self._of.pop(key, None)
        if number is None:
            return
        members = self._members[number]
        members.remove(key)
        if members:
            return
        query = self._queries.pop(number)
        del self._members[number], self._numbers[query]
        self._always.discard(number)
        self._decided.discard(number)
        for stem in self._keys.pop(number, ()):
            self._index[stem].remove(number)
            if not self._index[stem]:
                del self._index[stem]

    def _lookup(self, doc: Document) -> tuple[set[int], set[int]]:
        """Return (the queries the article matches by a key alone, the ones to verify)."""
        found = set(self._always)
        index = self._index
        for key in index.keys() & doc.keys:  # iterates the article's keys, not the index
            found.update(index[key])
        decided = found & self._decided  # iterates `found`, the smaller
        found -= decided
        return decided, found

    def lookup_sizes(self, doc: Document) -> tuple[int, int]:
        """Return how many distinct queries the article matches by a key, and how many it
        has verified (for benchmarks)."""
        exact, verify = self._lookup(doc)
        return len(exact), len(verify)

    def match(self, doc: Document) -> list[K]:
        """Return the keys of the saved queries the article matches."""
        exact, verify = self._lookup(doc)
        queries = self._queries
        exact.update([number for number in verify if queries[number].matches(doc)])
        return list(chain.from_iterable(map(self._members.__getitem__, exact)))

    def brute_force(self, doc: Document) -> list[K]:
        """Return what match() returns by trying every query (for tests and benchmarks)."""
        queries = self._queries
        return [key for key, number in self._of.items() if queries[number].matches(doc)]

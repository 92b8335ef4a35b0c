"""The search query language: what a user may type, parsed into terms both backends understand.

Words are ANDed. `"a phrase"` matches the words in order (an unclosed quote runs to the end),
`-word` or `NOT word` leaves matches out, `word*` matches words starting with `word` (at least
three letters), and `OR` (in capitals) between two words matches either. Parentheses, `AND`, `:`
and every other symbol are separators: nothing the user types reaches FTS5 or to_tsquery as
syntax, so no input can cause a syntax error. English stop words are dropped outside phrases,
as PostgreSQL's `english` configuration does, so both backends require the same words. At most
MAX_TERMS terms and MAX_PHRASE_WORDS words per phrase are kept; the rest is silently ignored.
"""

from __future__ import annotations

import re
import unicodedata

from news.errors import QueryError
from news.models import ParsedQuery, Term
from news.words import EMPTY_QUERY, ONLY_EXCLUDED

__all__ = ["parse_query"]

MAX_TERMS = 20
MAX_PHRASE_WORDS = 10
MIN_PREFIX = 3

# PostgreSQL's english.stop (Snowball), so both backends drop the same words.
STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what which who
    whom this that these those am is are was were be been being have has had having do does did
    doing a an the and but if or because as until while of at by for with about against between
    into through during before after above below to from up down in out on off over under again
    further then once here there when where why how all any both each few more most other some
    such no nor not only own same so than too very s t can will just don should now""".split()  # noqa: SIM905
)

# Phones type curly quotes; they mean the same as '"'.
# Brackets are separators like any other symbol.
_CLEAN = str.maketrans(dict.fromkeys("“”„‟″«»＂", '"') | dict.fromkeys("()[]{}", " "))
_WORD = re.compile(r"[^\W_]+")
_OPERATORS = frozenset(("OR", "AND", "NOT"))
_PLAIN_QUERY = re.compile(r"[A-Za-z0-9\s]*")  # \s: the spaces str.split() splits at


def _clean(query: str) -> str:
    if query.isprintable():  # the usual query: no control, format or unassigned characters
        return query.translate(_CLEAN)
    # Control, format and surrogate characters cannot reach PostgreSQL (NUL) or UTF-8.
    chars = (
        " " if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") else c
        for c in query.translate(_CLEAN)
    )
    return "".join(chars)


def _pieces(query: str) -> list[tuple[str, bool, bool]]:
    """Return (text, quoted, negated) pieces: words outside quotes, whole phrases inside."""
    pieces: list[tuple[str, bool, bool]] = []
    for index, segment in enumerate(query.split('"')):
        if index % 2:
            # `-"a phrase"`: the minus is the last word of the previous segment.
            negated = bool(pieces) and pieces[-1][0] == "-" and not pieces[-1][1]
            if negated:
                pieces.pop()
            pieces.append((segment, True, negated))
        else:
            for word in segment.split():
                bare = word.lstrip("-")
                pieces.append((bare if bare else word, False, bare != word and bool(bare)))
    return pieces


def _strip(text: str) -> str:
    """Return text without leading/trailing punctuation, symbols and spaces (marks stay)."""
    start, end = 0, len(text)
    while start < end and unicodedata.category(text[start])[0] in "PSZ":
        start += 1
    while end > start and unicodedata.category(text[end - 1])[0] in "PSZ":
        end -= 1
    return text[start:end]


def _term(text: str, quoted: bool) -> tuple[Term | None, bool]:
    """Return (the term, or None if nothing searchable is in it; whether it was cut)."""
    prefix = not quoted and text.endswith("*")
    text = _strip(text)
    found = list(_WORD.finditer(text))  # letters and digits: what both indexes keep
    words = [w[0].lower() for w in found]
    if all(w in STOP_WORDS for w in words):  # also when there is no word at all
        return None, False
    # A prefix must be one plain word long enough not to expand to half the index.
    prefix = prefix and len(words) == 1 and words[0] == text.lower() and len(text) >= MIN_PREFIX
    truncated = len(found) > MAX_PHRASE_WORDS
    if truncated:
        text = text[: found[MAX_PHRASE_WORDS - 1].end()]
    return Term(text, prefix=prefix), truncated


def parse_query(query: str, *, only_excluded: bool = False) -> ParsedQuery:
    """Return the parsed query; raises QueryError (news.words says why) if nothing is left.

    `only_excluded` accepts a query of exclusions only (a filter: "-sport"), without groups.
    """
    return _plain_words(query) or _parse(query, only_excluded)


def _plain_words(query: str) -> ParsedQuery | None:
    """Return what _parse returns for the usual query, plain ASCII words; else None.

    A shortcut: such a query needs none of the full parse's per-character Unicode checks.
    """
    if _PLAIN_QUERY.fullmatch(query) is None:
        return None
    words = query.split()
    if not _OPERATORS.isdisjoint(words):
        return None
    kept = [word for word in words if word.lower() not in STOP_WORDS]
    if not kept:
        return None  # _parse says what is wrong
    groups = tuple((Term(word),) for word in kept[:MAX_TERMS])
    return ParsedQuery(groups, (), len(kept) > MAX_TERMS)


def _parse(query: str, only_excluded: bool = False) -> ParsedQuery:
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    truncated = False
    pending_or = pending_not = False
    for piece, quoted, negated in _pieces(_clean(query)):
        if not quoted and piece in _OPERATORS:
            pending_or = piece == "OR" and bool(groups)
            pending_not = piece == "NOT"
            continue
        term, cut = _term(piece, quoted)
        if term is None:
            continue
        if len(excluded) + sum(map(len, groups)) >= MAX_TERMS:
            truncated = True
            break
        truncated |= cut
        if negated or pending_not:
            excluded.append(term)
        elif pending_or:
            groups[-1].append(term)
        else:
            groups.append([term])
        pending_or = pending_not = False
    if not groups and not (excluded and only_excluded):
        raise QueryError(ONLY_EXCLUDED if excluded else EMPTY_QUERY)
    return ParsedQuery(tuple(map(tuple, groups)), tuple(excluded), truncated)

"""Sentence rating: centrality with a lead prior, without repeats.

Stock graph rankers (LexRank, TextRank) lose to the lead on news because news puts its point
first (the inverted pyramid); the lead alone loses to them where the point is spread over the
story. The rating keeps what works in TextRank, how central a sentence is to the rest of the
article, and weighs it by position:

    score(s_i) = (forward_i + BACKWARD * backward_i) * words_i ** LENGTH / (r_i + 1) ** POSITION

forward_i and backward_i are the sums of the similarities of s_i to the sentences after and
before it, TextRank's similarity (Mihalcea & Tarau 2004): the distinct stemmed content words
two sentences share over the sum of the logarithms of their numbers of distinct content words
(it already favours informative, longer sentences, so LENGTH is 0 by default). r_i is the
sentence's rank among the candidates (the lead prior). BACKWARD < 1 is PacSum's directed
centrality (Zheng & Lapata 2019); BACKWARD = 1 is the undirected degree. Picking then skips
any sentence that says again what a picked one said: REDUNDANCY or more of the content words
of the shorter of the two are in the other (a readability rule, not a fit). The scores go on
to fit.py, which keeps the best sentences when they fit the digest's cap and otherwise the set
that fits with the largest total score.

The weights are one default for every language, the choice of 5-fold cross-validation over a
small grid on the three dev sets at the equal word budget (and, for CNN/DM, its crowd-written
references as well as its highlights); bench/quality.py reruns the choice and reports the
scores on the folds held out (bench/results/quality.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

# The matrices are tiny (one row per sentence) and summaries already run one per thread:
# BLAS threads only contend for the cores (measured: 2x slower on a busy 2-core machine).
threadpool_limits(1, user_api="blas")

REDUNDANCY = 0.7
MIN_WORDS = 4  # shorter "sentences" are labels, captions or leftovers of bad splitting
MAX_WORDS = 80  # longer ones are run-ons where splitting failed (captions glued together)
_ENDS_SENTENCE = re.compile(r"[.!?…][\"”»’')\]]*$")
# Ties (all similarities zero, e.g. a one-sentence text) fall back to the lead.
_EPSILON = 1e-6


@dataclass(frozen=True, slots=True)
class Weights:
    """The rating's three weights (POSITION, BACKWARD, LENGTH in the module docstring)."""

    position: float = 0.2
    backward: float = 1.0
    length: float = 0.0


WEIGHTS = Weights()


def ranked(
    sentences: Sequence[str],
    lengths: Sequence[int],
    terms: Sequence[Sequence[str]],
    weights: Weights = WEIGHTS,
) -> list[int]:
    """Return indexes of the candidate sentences, best first, redundant ones left out."""
    return [i for i, _ in rated(sentences, lengths, terms, weights)]


def rated(
    sentences: Sequence[str],
    lengths: Sequence[int],
    terms: Sequence[Sequence[str]],
    weights: Weights = WEIGHTS,
) -> list[tuple[int, float]]:
    """Return (index, score) of the candidate sentences, best first, redundant ones left out.

    ``lengths[i]`` is the number of words of ``sentences[i]`` and ``terms[i]`` its stemmed
    content words, the ones compared between sentences.
    """
    if not sentences:
        return []
    vocabulary: dict[str, int] = {}
    columns = [vocabulary.setdefault(t, len(vocabulary)) for ts in terms for t in ts]
    rows = np.repeat(np.arange(len(sentences)), [len(ts) for ts in terms])
    similarity, overlap = similarities(len(sentences), rows, np.array(columns, dtype=np.int64))
    candidates = _candidates(sentences, lengths)
    scores = _scores(similarity, np.array(lengths, dtype=np.float64), candidates, weights)
    # Best first, ties in text order; a sentence is left out once a picked one repeats it.
    order = np.flatnonzero(candidates)
    order = order[np.argsort(-scores[order], kind="stable")]
    repeats = overlap >= REDUNDANCY
    blocked = np.zeros(len(sentences), dtype=bool)
    picked: list[tuple[int, float]] = []
    for i in order.tolist():
        if not blocked[i]:
            picked.append((i, float(scores[i])))
            blocked |= repeats[i]
    return picked


def similarities(n: int, rows: np.ndarray, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return two n×n matrices (zero diagonal) over the sentences' sets of words.

    The first is TextRank's similarity, shared words / (log words_i + log words_j); the
    second the overlap coefficient, shared words / words of the shorter one. ``rows[k]`` is
    the sentence and ``columns[k]`` the word of the k-th word occurrence. Sentences are
    small sets (a dozen words of a vocabulary of hundreds), so only pairs of sentences that
    share a word are counted; a dense matmul would also hand the work to a multi-threaded
    BLAS, which under load costs a hundred times more than the product itself.
    """
    similarity, overlap = np.zeros((n, n)), np.zeros((n, n))
    if columns.size == 0:
        return similarity, overlap
    width = int(columns.max()) + 1
    keys = np.unique(rows * width + columns)
    row, word = keys // width, keys % width
    sizes = np.bincount(row, minlength=n).astype(np.float64)
    # Entries grouped by word: every pair of entries in one group is a shared word.
    order = np.argsort(word, kind="stable")
    row, word = row[order], word[order]
    group = np.bincount(word)[word]
    left = np.repeat(np.arange(row.size), group)
    offsets = np.arange(left.size) - np.repeat(np.cumsum(group) - group, group)
    right = np.repeat(np.searchsorted(word, word), group) + offsets
    shared = np.bincount(row[left] * n + row[right], minlength=n * n).astype(np.float64)
    shared = shared.reshape(n, n)
    logs = np.log(np.maximum(sizes, 1.0))
    scale, smaller = np.add.outer(logs, logs), np.minimum.outer(sizes, sizes)
    np.divide(shared, scale, out=similarity, where=scale > 0)
    np.divide(shared, smaller, out=overlap, where=smaller > 0)
    np.fill_diagonal(similarity, 0.0)
    np.fill_diagonal(overlap, 0.0)
    return similarity, overlap


def _candidates(sentences: Sequence[str], lengths: Sequence[int]) -> np.ndarray:
    """Return a mask of the sentences fit for a summary (whole sentences of normal length)."""
    mask = np.array(
        [
            MIN_WORDS <= n <= MAX_WORDS and bool(_ENDS_SENTENCE.search(s))
            for s, n in zip(sentences, lengths, strict=True)
        ]
    )
    if not mask.any():
        # A text of headlines or fragments still gets a summary, if it has words at all.
        mask = np.array([n > 0 for n in lengths])
    return mask


def _scores(
    similarity: np.ndarray, lengths: np.ndarray, candidates: np.ndarray, weights: Weights
) -> np.ndarray:
    """Return the position-aware centrality of the candidates (others -inf)."""
    forward = np.triu(similarity, 1).sum(axis=1)
    backward = np.tril(similarity, -1).sum(axis=1)
    rank = np.maximum(np.cumsum(candidates) - 1, 0)
    scores = (
        (forward + weights.backward * backward + _EPSILON)
        * np.maximum(lengths, 1.0) ** weights.length
        / (rank + 1.0) ** weights.position
    )
    return np.where(candidates, scores, -np.inf)

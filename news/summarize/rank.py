"""Sentence rating: centrality with a lead prior and a length weight, without repeats.

Stock graph rankers (LexRank, TextRank) lose to the lead on news because news puts its point
first (the inverted pyramid). The rating keeps what works in LexRank, how central a sentence
is to the rest of the article, and weighs it by position and length:

    score(s_i) = (forward_i + BACKWARD * backward_i) * words_i ** LENGTH / (r_i + 1) ** POSITION

forward_i and backward_i are the sums of the cosine similarities of s_i (stemmed content
words) to the sentences after and before it, words_i its length in words (a short sentence
says little on its own) and r_i its rank among the candidates (the lead prior). BACKWARD < 1
is PacSum's directed centrality (Zheng & Lapata 2019: being similar to what follows counts
more than being similar to what came before); BACKWARD = 1 is LexRank's degree. Picking then
skips any sentence that says again what a picked one said: REDUNDANCY or more of the content
words of the shorter of the two are in the other (a readability rule, not a fit). The scores
go on to fit.py, which keeps the best sentences when they fit the digest's cap and otherwise
the set that fits with the largest total score.

The weights are one default for every language, the choice of 5-fold cross-validation over a
small grid on the three dev sets; bench/quality.py reruns the choice and reports the scores
on the folds held out (bench/results/quality.md).
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

    position: float = 0.25
    backward: float = 1.0
    length: float = 0.5


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
    cosine, overlap = similarities(len(sentences), rows, np.array(columns, dtype=np.int64))
    candidates = _candidates(sentences, lengths)
    scores = _scores(cosine, np.array(lengths, dtype=np.float64), candidates, weights)
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
    """Return two n×n matrices (zero diagonal) over the sentences' word-count vectors.

    The first is the cosine similarity; the second the overlap coefficient of their word
    sets, shared words / words of the shorter one. ``rows[k]`` is the sentence and
    ``columns[k]`` the word of the k-th word occurrence. Sentence vectors are sparse (a
    dozen words of a vocabulary of hundreds), so only pairs of sentences that share a word
    are multiplied; a dense matmul would also hand the work to a multi-threaded BLAS, which
    under load costs a hundred times more than the product itself.
    """
    cosine, overlap = np.zeros((n, n)), np.zeros((n, n))
    if columns.size == 0:
        return cosine, overlap
    width = int(columns.max()) + 1
    keys, counts = np.unique(rows * width + columns, return_counts=True)
    row, word, count = keys // width, keys % width, counts.astype(np.float64)
    norms = np.sqrt(np.bincount(row, weights=count**2, minlength=n))
    sizes = np.bincount(row, minlength=n).astype(np.float64)
    # Entries grouped by word: every pair of entries in one group is a shared word.
    order = np.argsort(word, kind="stable")
    row, word, count = row[order], word[order], count[order]
    group = np.bincount(word)[word]
    left = np.repeat(np.arange(row.size), group)
    offsets = np.arange(left.size) - np.repeat(np.cumsum(group) - group, group)
    right = np.repeat(np.searchsorted(word, word), group) + offsets
    pair = row[left] * n + row[right]
    dot = np.bincount(pair, weights=count[left] * count[right], minlength=n * n)
    shared = np.bincount(pair, minlength=n * n).astype(np.float64)
    scale, smaller = np.outer(norms, norms), np.minimum.outer(sizes, sizes)
    np.divide(dot.reshape(n, n), scale, out=cosine, where=scale > 0)
    np.divide(shared.reshape(n, n), smaller, out=overlap, where=smaller > 0)
    np.fill_diagonal(cosine, 0.0)
    np.fill_diagonal(overlap, 0.0)
    return cosine, overlap


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
    cosine: np.ndarray, lengths: np.ndarray, candidates: np.ndarray, weights: Weights
) -> np.ndarray:
    """Return the position-aware centrality of the candidates (others -inf)."""
    forward = np.triu(cosine, 1).sum(axis=1)
    backward = np.tril(cosine, -1).sum(axis=1)
    rank = np.maximum(np.cumsum(candidates) - 1, 0)
    scores = (
        (forward + weights.backward * backward + _EPSILON)
        * np.maximum(lengths, 1.0) ** weights.length
        / (rank + 1.0) ** weights.position
    )
    return np.where(candidates, scores, -np.inf)

"""Generated articles for the search benchmark: Zipf-distributed words, loaded in bulk.

The vocabulary starts with the commonest English words (so stop words are as frequent as in
real text), followed by made-up words; word ranks follow Zipf's law with exponent ~1.07, as
in English news text. Titles, summaries and texts are sampled independently per article.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

FUNCTION_WORDS = (  # noqa: SIM905 - a word list reads best as text
    "the of and to a in is that for it as was with be by on not he this are or his from at "
    "which but have an they you were her she there been one all we their has would when if "
    "so no will more what up can said about other into some could them than its only new "
    "two may then do first any my now such like our over man me even most made after also "
    "did many before must through back years where much your way well down should because "
    "each just those people how too little state good very make world still own see men "
    "work long get here between both life being under never day same another know while "
    "last might us great old year off come since against go came right used take three"
).split()

SYLLABLES = (  # noqa: SIM905
    "ka ri to mo na le vi sa do pe lu ba ne chi ro fa gu te mi zo ha ku se ya po ti ma "
    "re no da bi fu ze lo ga hi su de wa ni ko ra pu bo me li so"
).split()

VOCABULARY_SIZE = 120_000
ZIPF_EXPONENT = 1.07
TITLE_WORDS, SUMMARY_WORDS, TEXT_WORDS = 9, 30, 120
FEEDS = 1_000


def vocabulary(size: int = VOCABULARY_SIZE) -> list[str]:
    """Return `size` distinct words: function words first, then made-up words of 2-5 syllables."""
    words = list(FUNCTION_WORDS)
    seen = set(words)
    rng = random.Random(7)
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 5)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def zipf_weights(size: int) -> np.ndarray:
    """Return the probability of each word rank."""
    weights: np.ndarray = 1.0 / np.arange(1, size + 1) ** ZIPF_EXPONENT
    return weights / float(weights.sum())


@dataclass(frozen=True)
class Corpus:
    """The vocabulary and its probabilities, shared by generation and query picking."""

    words: list[str]
    probabilities: np.ndarray

    @classmethod
    def build(cls, size: int = VOCABULARY_SIZE) -> Corpus:
        """Return the benchmark's corpus model."""
        return cls(vocabulary(size), zipf_weights(size))


def article_rows(
    corpus: Corpus, count: int, *, start: datetime, seed: int = 1, batch: int = 10_000
) -> Iterator[list[tuple[int, str, str, str, datetime, str, str]]]:
    """Yield batches of article tuples (feed_id, entry_hash, url, title, sort_at, text, summary).

    Articles come in time order, one a minute apart per 1,000, like a busy installation.
    """
    rng = np.random.default_rng(seed)
    words = np.array(corpus.words, dtype=object)
    per_article = TITLE_WORDS + SUMMARY_WORDS + TEXT_WORDS
    for first in range(0, count, batch):
        n = min(batch, count - first)
        ranks = rng.choice(len(words), size=(n, per_article), p=corpus.probabilities)
        feeds = rng.integers(1, FEEDS + 1, size=n)
        rows = []
        for i in range(n):
            ident = first + i
            sample = words[ranks[i]]
            title = " ".join(sample[:TITLE_WORDS]).capitalize()
            summary = " ".join(sample[TITLE_WORDS : TITLE_WORDS + SUMMARY_WORDS]) + "."
            text = _sentences(sample[TITLE_WORDS + SUMMARY_WORDS :])
            at = start + timedelta(seconds=ident * 3)
            rows.append(
                (
                    int(feeds[i]),
                    f"e{ident}",
                    f"https://example.com/{ident}",
                    title,
                    at,
                    text,
                    summary,
                )
            )
        yield rows


def _sentences(sample: np.ndarray) -> str:
    return " ".join(
        " ".join(sample[i : i + 15]).capitalize() + "." for i in range(0, len(sample), 15)
    )


@dataclass(frozen=True)
class QuerySet:
    """The queries of each class, picked from the corpus by frequency."""

    classes: dict[str, list[str]]


def pick_queries(corpus: Corpus, *, per_class: int = 20, seed: int = 3) -> QuerySet:
    """Return queries: rare words, common words, phrases of common words, two-word queries."""
    rng = random.Random(seed)
    stop = set(FUNCTION_WORDS)
    content = [(rank, w) for rank, w in enumerate(corpus.words) if w not in stop]
    common = [w for rank, w in content if rank < 600]
    middle = [w for rank, w in content if 600 <= rank < 5_000]
    rare = [w for rank, w in content if 20_000 <= rank < 60_000]
    return QuerySet(
        {
            "rare": rng.sample(rare, per_class),
            "common": rng.sample(common, per_class),
            "phrase": [
                f'"{a} {b}"'
                for a, b in zip(
                    rng.sample(common, per_class), rng.sample(common, per_class), strict=True
                )
            ],
            "two-word": [
                f"{a} {b}"
                for a, b in zip(
                    rng.sample(middle, per_class), rng.sample(common, per_class), strict=True
                )
            ],
        }
    )


BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)

"""Fitting rated sentences into the digest's length cap, whole sentences first."""

from __future__ import annotations

from collections.abc import Sequence

ELLIPSIS = "…"
_TRAILING = ",;:-–—([{\"“«'‘ "
# When the best sentences overflow the cap, the set that fits is searched among this many of
# the best rated ones.
CHOICES = 10


def fit(
    sentences: Sequence[str], rated: Sequence[tuple[int, float]], count: int, max_chars: int
) -> list[str]:
    """Return up to ``count`` of the rated sentences that fit ``max_chars``, in text order.

    ``rated`` holds (sentence index, score) pairs, best first. When the ``count`` best fit,
    they are the summary; otherwise it is the set of whole sentences that fits with the
    largest total score (taking the best first and skipping what overflows would let one long
    sentence crowd out two good short ones). When not even one sentence fits, the best is
    shortened at a word boundary and ends with an ellipsis.
    """
    if count <= 0 or max_chars <= 0 or not rated:
        return []
    best = [i for i, _ in rated[:count]]
    if _length(sentences, best) > max_chars:
        best = _best_set(sentences, rated, count, max_chars)
    if not best:
        return [shorten(sentences[rated[0][0]], max_chars)]
    return [sentences[i] for i in sorted(best)]


def _length(sentences: Sequence[str], chosen: Sequence[int]) -> int:
    return sum(len(sentences[i]) for i in chosen) + max(len(chosen) - 1, 0)


def _best_set(
    sentences: Sequence[str], rated: Sequence[tuple[int, float]], count: int, max_chars: int
) -> list[int]:
    """Return the indexes of the fitting set of at most ``count`` with the highest total.

    A depth-first search over the best ``CHOICES`` sentences that fit on their own, in rating
    order; a branch stops when even its best possible completion cannot beat the best set.
    """
    choices = [
        (i, score, len(sentences[i])) for i, score in rated if len(sentences[i]) <= max_chars
    ]
    choices = choices[:CHOICES]
    best: list[int] = []
    best_total = float("-inf")

    def extend(start: int, chosen: list[int], used: int, total: float) -> None:
        nonlocal best, best_total
        if chosen and total > best_total:
            best, best_total = chosen, total
        room = count - len(chosen)
        if room == 0:
            return
        for j in range(start, len(choices)):
            i, score, length = choices[j]
            if total + score * room <= best_total:
                break  # scores only fall from here on
            extra = length + (1 if chosen else 0)
            if used + extra <= max_chars:
                extend(j + 1, [*chosen, i], used + extra, total + score)

    extend(0, [], 0, 0.0)
    return best


def shorten(sentence: str, max_chars: int) -> str:
    """Return ``sentence`` cut at a word boundary to at most ``max_chars`` with an ellipsis."""
    if len(sentence) <= max_chars:
        return sentence
    room = max_chars - len(ELLIPSIS)
    if room <= 0:
        return ELLIPSIS[:max_chars]
    head = sentence[: room + 1]
    cut = head.rfind(" ")
    # Cutting at a space keeps whole words; a single giant "word" (a URL) is cut as it is.
    head = head[:cut] if cut > room // 2 else head[:room]
    return head.rstrip(_TRAILING) + ELLIPSIS

"""Fitting picked sentences into the digest's length cap, whole sentences first."""

from __future__ import annotations

from collections.abc import Sequence

ELLIPSIS = "…"
_TRAILING = ",;:-–—([{\"“«'‘ "


def fit(sentences: Sequence[str], ranked: Sequence[int], count: int, max_chars: int) -> list[str]:
    """Return up to ``count`` of the ranked sentences that fit ``max_chars``, in text order.

    Sentences are taken best first and skipped when they would overflow the cap; when not even
    one fits, the best is shortened at a word boundary and ends with an ellipsis.
    """
    if count <= 0 or max_chars <= 0 or not ranked:
        return []
    kept: list[int] = []
    used = 0
    for i in ranked:
        if len(kept) == count:
            break
        length = len(sentences[i]) + (1 if kept else 0)
        if used + length <= max_chars:
            kept.append(i)
            used += length
    if not kept:
        return [shorten(sentences[ranked[0]], max_chars)]
    return [sentences[i] for i in sorted(kept)]


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

"""What the benchmarks share: the English function words their generated texts use, and how a
benchmark publishes its results page."""

from __future__ import annotations

from pathlib import Path

# The commonest English words, in order: generated texts draw on them as real text does.
FUNCTION_WORDS = tuple(
    (  # noqa: SIM905 - a word list reads best as text
        "the of and to a in is that for it as was with be by on not he this are or his from at "
        "which but have an they you were her she there been one all we their has would when if "
        "so no will more what up can said about other into some could them than its only new "
        "two may then do first any my now such like our over man me even most made after also "
        "did many before must through back years where much your way well down should because "
        "each just those people how too little state good very make world still own see men "
        "work long get here between both life being under never day same another know while "
        "last might us great old year off come since against go came right used take three"
    ).split()
)


def publish(page: str, path: Path | str) -> None:
    """Write a benchmark's markdown page to `path` (its folder created) and print it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    print(page)

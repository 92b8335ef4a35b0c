"""What the benchmarks share: the English function words their generated texts use, how a
benchmark publishes its results page, and how README.md shows the pages' tables."""

from __future__ import annotations

import re
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


RESULTS = Path(__file__).resolve().parent / "results"
# In README.md, `<!-- results:NAME -->` ... `<!-- /results -->` holds the first table of
# bench/results/NAME.md; scripts/gen_docs.py rewrites it and tests/test_docs.py checks it.
RESULTS_BLOCK = re.compile(r"(<!-- results:([\w-]+) -->\n).*?(<!-- /results -->)", re.DOTALL)


def first_table(page: str) -> str:
    """Return the first markdown table of a results page (its consecutive `|` lines)."""
    table: list[str] = []
    for line in page.splitlines():
        if line.startswith("|"):
            table.append(line)
        elif table:
            break
    if not table:
        raise ValueError("no table in the results page")
    return "\n".join(table)


def with_results(readme: str, results: Path = RESULTS) -> str:
    """Return the README with every results block refilled from bench/results/NAME.md."""

    def fill(match: re.Match[str]) -> str:
        page = (results / f"{match.group(2)}.md").read_text(encoding="utf-8")
        return match.group(1) + first_table(page) + "\n" + match.group(3)

    return RESULTS_BLOCK.sub(fill, readme)


def results_in(readme: str) -> set[str]:
    """Return the names of the results pages the README shows."""
    return {match.group(2) for match in RESULTS_BLOCK.finditer(readme)}

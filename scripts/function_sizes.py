"""Print the size of every function in the product code: count, median, p90, p99, over 40 lines.

    python3 scripts/function_sizes.py [PACKAGE ...]   # default: bot jobs news

A function's size is its lines from `def` to its last statement (docstring included), the
figure issue 10's before/after is given in.
"""

from __future__ import annotations

import ast
import statistics
import sys
from pathlib import Path


def sizes(packages: list[str]) -> list[tuple[int, str]]:
    """Return (lines, "path:name") of every function and method under `packages`."""
    found = []
    for package in packages:
        for path in sorted(Path(package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    lines = (node.end_lineno or node.lineno) - node.lineno + 1
                    found.append((lines, f"{path}:{node.name}"))
    return found


def main() -> None:
    """Print the summary line and the functions over 40 lines."""
    found = sizes(sys.argv[1:] or ["bot", "jobs", "news"])
    lines = sorted(n for n, _ in found)
    q = statistics.quantiles(lines, n=100)
    long = sorted((f for f in found if f[0] > 40), reverse=True)
    print(
        f"functions {len(lines)}, median {statistics.median(lines):g}, p90 {q[89]:g}, "
        f"p99 {q[98]:g}, over 40 lines {len(long)}"
    )
    for n, name in long:
        print(f"  {n:4d} {name}")


if __name__ == "__main__":
    main()

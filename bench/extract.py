"""Score news.extract on the ScrapingHub article-extraction benchmark.

    git clone https://github.com/scrapinghub/article-extraction-benchmark
    .venv/bin/python -m bench.extract path/to/article-extraction-benchmark [--baseline]

The checkout holds html/<id>.html.gz (181 pages) and ground-truth.json ({id: {"articleBody"}}).
Scoring is the benchmark's own evaluate.py, restated: per page, true/false positives and false
negatives over word 4-gram shingles (tokens are \\w+ runs), normalized to sum to 1; precision
and recall are the means over pages, F1 is computed from those two means, and the ± is 1.96
standard deviations over bootstrap resamples of the pages. A page we cannot extract
(ExtractError) counts as an empty prediction, as a missing articleBody does there.

--baseline also scores stock trafilatura the way the benchmark's run_trafilatura.py calls it
(include_comments=False, everything else default), for comparison on the same machine.
The data is not shipped with newsbot and is not downloadable in CI; run this by hand.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import trafilatura

from news.errors import ExtractError
from news.extract import extract

TOKEN = re.compile(r"\w+", re.UNICODE | re.MULTILINE | re.IGNORECASE | re.DOTALL)
Scores = tuple[float, float, float]


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = TOKEN.findall(text or "")
    grams = (tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)))
    return Counter(g for g in grams if g)


def tp_fp_fn(true: str, pred: str) -> Scores:
    want, have = shingles(true), shingles(pred)
    tp = fp = fn = 0.0
    for key in set(want) | set(have):
        t, p = want.get(key, 0), have.get(key, 0)
        tp += min(t, p)
        fp += max(0, p - t)
        fn += max(0, t - p)
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total > 0 else (tp, fp, fn)


def precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fp == 0 else tp / (tp + fp)


def recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fn == 0 else tp / (tp + fn)


def metrics(scores: list[Scores]) -> dict[str, float]:
    p = statistics.mean(precision(*s) for s in scores if s[0] + s[1] > 0)
    r = statistics.mean(recall(*s) for s in scores if s[0] + s[2] > 0)
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def with_ci(scores: list[Scores], n_bootstrap: int, seed: int = 0) -> dict[str, float]:
    result = metrics(scores)
    rng = random.Random(seed)  # fixed seed: the same data gives the same report
    samples: dict[str, list[float]] = {}
    for _ in range(n_bootstrap):
        resample = [scores[rng.randrange(len(scores))] for _ in scores]
        for key, value in metrics(resample).items():
            samples.setdefault(key, []).append(value)
    for key, values in samples.items():
        result[f"{key}_ci"] = 1.96 * statistics.stdev(values) if len(values) > 1 else 0.0
    return result


def ours(body: bytes) -> str:
    try:
        return extract(body)
    except ExtractError:
        return ""


def stock_trafilatura(body: bytes) -> str:
    return trafilatura.extract(body.decode("utf-8"), include_comments=False) or ""


def run(root: Path, extractor: Callable[[bytes], str], limit: int | None) -> list[Scores]:
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    scores = []
    for item_id in sorted(truth)[:limit]:
        body = gzip.decompress((root / "html" / f"{item_id}.html.gz").read_bytes())
        scores.append(tp_fp_fn(truth[item_id].get("articleBody", ""), extractor(body)))
    return scores


def report(name: str, scores: list[Scores], seconds: float, n_bootstrap: int) -> None:
    m = with_ci(scores, n_bootstrap)
    print(
        f"{name:<12} pages={len(scores)} "
        f"precision={m['precision']:.3f} ± {m['precision_ci']:.3f}  "
        f"recall={m['recall']:.3f} ± {m['recall_ci']:.3f}  "
        f"F1={m['f1']:.3f} ± {m['f1_ci']:.3f}  "
        f"({seconds / max(1, len(scores)) * 1000:.0f} ms/page)"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("checkout", type=Path, help="article-extraction-benchmark checkout")
    ap.add_argument("--baseline", action="store_true", help="also score stock trafilatura")
    ap.add_argument("--limit", type=int, default=None, help="only the first N pages")
    ap.add_argument("--n-bootstrap", type=int, default=1000)
    args = ap.parse_args()
    if not (args.checkout / "ground-truth.json").is_file():
        print(f"no ground-truth.json in {args.checkout}", file=sys.stderr)
        return 2
    runs: list[tuple[str, Callable[[bytes], str]]] = [("newsbot", ours)]
    if args.baseline:
        runs.append(("trafilatura", stock_trafilatura))
    for name, extractor in runs:
        started = time.perf_counter()
        scores = run(args.checkout, extractor, args.limit)
        report(name, scores, time.perf_counter() - started, args.n_bootstrap)
    return 0


if __name__ == "__main__":
    sys.exit(main())

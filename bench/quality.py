"""Summary quality: ROUGE of newsbot's summarizer beside Lead-k and every stock sumy method.

    python -m bench.quality --data ../shared/eval [--sets ...] [--limit N]

Two views per set: (a) 3 sentences each (newsbot as the digest calls it: 3 sentences, 600
characters); (b) equal word budget: each method gives its top k sentences and every summary
is cut to the set's word budget, so that no method wins recall by being longer. Scores are
ROUGE-1/2/L F1 (rouge-score, Porter stemming), with 95% bootstrap intervals over articles;
"mean" is the mean of the three. The Δ columns are paired bootstrap intervals of newsbot
minus the method. The table is printed and written to bench/results/quality.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rouge_score import rouge_scorer

from bench.common import (
    RESULTS,
    SETS,
    UNCAPPED,
    Article,
    add_common_arguments,
    cut_words,
    load_set,
    methods,
)

DIGEST_SENTENCES = 3
DIGEST_MAX_CHARS = 600
METRICS = ("rouge1", "rouge2", "rougeL")


@dataclass(frozen=True)
class Job:
    """One method over one set: per-article scores for both views."""

    set_name: str
    method: str
    articles: list[Article]


@dataclass(frozen=True)
class Scores:
    """Per-article ROUGE F1 (articles × 3 metrics) for both views, plus the time taken."""

    set_name: str
    method: str
    fixed: np.ndarray
    budget: np.ndarray
    seconds: float


def run_job(job: Job) -> Scores:
    """Summarize and score every article of the job in both views."""
    scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
    method = methods()[job.method]
    spec = SETS[job.set_name]
    fixed, budget = [], []
    started = time.perf_counter()
    for article in job.articles:
        max_chars = DIGEST_MAX_CHARS if job.method == "newsbot" else UNCAPPED
        three = " ".join(method(article, DIGEST_SENTENCES, max_chars))
        top_k = " ".join(method(article, spec.k, UNCAPPED))
        fixed.append(_rouge(scorer, article.summary, three))
        budget.append(_rouge(scorer, article.summary, cut_words(top_k, spec.budget)))
    seconds = time.perf_counter() - started
    return Scores(job.set_name, job.method, np.array(fixed), np.array(budget), seconds)


def _rouge(scorer: rouge_scorer.RougeScorer, reference: str, summary: str) -> list[float]:
    result = scorer.score(reference, summary)
    return [100 * result[m].fmeasure for m in METRICS]


def bootstrap(values: np.ndarray, samples: np.ndarray) -> tuple[float, float, float]:
    """Return the mean and the 95% percentile interval of per-article values."""
    means = values[samples].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(values.mean()), float(low), float(high)


def _cell(values: np.ndarray, samples: np.ndarray) -> str:
    mean, low, high = bootstrap(values, samples)
    return f"{mean:.1f} [{low:.1f}, {high:.1f}]"


def _delta(ours: np.ndarray, theirs: np.ndarray, samples: np.ndarray) -> str:
    mean, low, high = bootstrap(ours.mean(axis=1) - theirs.mean(axis=1), samples)
    return f"{mean:+.2f} [{low:+.2f}, {high:+.2f}]"


def set_tables(results: dict[str, Scores], view: str, samples: np.ndarray) -> list[str]:
    """Return the markdown rows of one set in one view, best mean first."""
    ours = getattr(results["newsbot"], view)
    ranked = sorted(results.values(), key=lambda s: -getattr(s, view).mean())
    lines = [
        "| method | R1 | R2 | RL | mean | Δ newsbot − method (mean) |",
        "|---|---|---|---|---|---|",
    ]
    for scores in ranked:
        values = getattr(scores, view)
        cells = [_cell(values[:, m], samples) for m in range(len(METRICS))]
        cells.append(_cell(values.mean(axis=1), samples))
        delta = "" if scores.method == "newsbot" else _delta(ours, values, samples)
        lines.append(f"| {scores.method} | {' | '.join(cells)} | {delta} |")
    return lines


def goal_rows(name: str, results: dict[str, Scores]) -> str:
    """Return the goal line of a set: newsbot vs Lead and the best stock method (budget)."""
    mean = {m: s.budget.mean() for m, s in results.items()}
    stock = {m: v for m, v in mean.items() if m not in {"newsbot", "Lead-k"}}
    best = max(stock, key=lambda m: stock[m])
    rival = best if name == "bbc_news_summary" else "Lead-k"
    target = mean[rival]
    verdict = "yes" if mean["newsbot"] >= target else "NO"
    return (
        f"| {name} | {mean['newsbot']:.2f} | {mean['Lead-k']:.2f} | {best} {mean[best]:.2f} "
        f"| ≥ {rival}: {verdict} |"
    )


def report(by_set: dict[str, dict[str, Scores]], resamples: int, seed: int) -> str:
    """Return the whole markdown report."""
    lines = [
        "# Summary quality (ROUGE F1, 95% bootstrap intervals)",
        "",
        "Equal word budget, mean of R1/R2/RL (the goal: newsbot ≥ Lead-3 on CNN/DM and XSum,",
        "≥ the best stock sumy method on BBC):",
        "",
        "| set | newsbot | Lead-k | best stock | goal |",
        "|---|---|---|---|---|",
    ]
    lines += [goal_rows(name, results) for name, results in by_set.items()]
    rng = np.random.default_rng(seed)
    for name, results in by_set.items():
        spec = SETS[name]
        count = len(next(iter(results.values())).fixed)
        samples = rng.integers(0, count, size=(resamples, count))
        lines += [
            "",
            f"## {name} ({count} articles)",
            "",
            f"### Equal budget: top {spec.k} sentences cut to {spec.budget} words",
            "",
            *set_tables(results, "budget", samples),
            "",
            f"### Fixed {DIGEST_SENTENCES} sentences (newsbot as the digest calls it: "
            f"{DIGEST_MAX_CHARS} characters at most)",
            "",
            *set_tables(results, "fixed", samples),
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the benchmark and write bench/results/quality.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS / "quality.md")
    args = parser.parse_args()
    jobs = [
        Job(name, method, load_set(args.data, name, args.limit))
        for name in args.sets
        for method in methods()
    ]
    # Slow methods first so that the pool's two workers finish together.
    jobs.sort(key=lambda j: (j.set_name != "bbc_news_summary", j.method not in {"KL", "LSA"}))
    by_set: dict[str, dict[str, Scores]] = {name: {} for name in args.sets}
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        for scores in pool.map(run_job, jobs):
            by_set[scores.set_name][scores.method] = scores
    text = report(by_set, args.resamples, args.seed)
    command = " ".join(["python -m bench.quality", *sys.argv[1:]])
    text += f"\nCommand: `{command}` ({time.perf_counter() - started:.0f} s)\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()

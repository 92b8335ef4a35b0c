"""Percolation benchmark: saved queries x new articles, the index against trying every query.

    python -m bench.percolate [--queries 100000] [--articles 10000] [--brute 300]

Articles and query words come from the search benchmark's Zipf corpus (bench.search_data).
Queries mix one to three words, two-word phrases, ORs, prefixes and exclusions. The index is
built with stem frequencies counted on the first 1,000 articles (as a running bot would keep
them). Every article is percolated; the brute-force loop (every query on every article) runs
on the first --brute articles, whose matches must be identical. Timings exclude turning an
article into a Document, which both need and which is reported on its own.
"""

from __future__ import annotations

import argparse
import random
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from bench.report import FUNCTION_WORDS
from bench.search_data import Corpus, article_rows
from news.errors import QueryError
from news.percolate import PORTER, Document, Percolator, document
from news.query import parse_query

# The commonest words after the function words, which alone would make no useful alert.
COMMONEST = 500
RESULTS = Path(__file__).parent / "results" / "percolate.md"


def make_queries(corpus: Corpus, count: int, seed: int = 5) -> list[str]:
    """Return `count` queries: words picked by frequency, skipping the function words."""
    rng = random.Random(seed)
    first = len(FUNCTION_WORDS) + COMMONEST
    weights = list(corpus.probabilities[first:])
    words = corpus.words[first:]
    pool = iter(rng.choices(words, weights=weights, k=count * 6))
    queries = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.35:
            query = " ".join(next(pool) for _ in range(rng.randint(1, 3)))
        elif kind < 0.55:
            query = f'"{next(pool)} {next(pool)}"'
        elif kind < 0.65:
            query = f"{next(pool)} OR {next(pool)}"
        elif kind < 0.72:
            query = next(pool)[:4] + "*"
        else:
            query = f'{next(pool)} -{next(pool)} -"{next(pool)} {next(pool)}"'
        queries.append(query)
    return queries


def make_documents(corpus: Corpus, count: int) -> tuple[list[Document], float]:
    """Return the articles as Documents and the seconds per article it took."""
    rows = [r for batch in article_rows(corpus, count, start=datetime.now(UTC)) for r in batch]
    began = time.perf_counter()
    docs = [document(PORTER, title, summary, text) for _, _, _, title, _, text, summary in rows]
    return docs, (time.perf_counter() - began) / count


def build(queries: list[str], frequencies: Counter[str]) -> Percolator[int]:
    """Return the percolator of the queries."""
    percolator: Percolator[int] = Percolator(PORTER, frequencies)
    for key, query in enumerate(queries):
        try:
            percolator.add(key, parse_query(query))
        except QueryError:
            continue
    return percolator


def index_bytes(queries: list[str], frequencies: Counter[str]) -> int:
    """Return the bytes the built index holds (tracemalloc, on a second build)."""
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    percolator = build(queries, frequencies)
    size = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del percolator
    return size


def run(queries_n: int, articles_n: int, brute_n: int) -> str:
    """Return the results as Markdown."""
    corpus = Corpus.build()
    queries = make_queries(corpus, queries_n)
    docs, doc_seconds = make_documents(corpus, articles_n)
    frequencies: Counter[str] = Counter(s for doc in docs[:1000] for s in doc.positions)
    began = time.perf_counter()
    percolator = build(queries, frequencies)
    build_seconds = time.perf_counter() - began
    began = time.perf_counter()
    matched = [percolator.match(doc) for doc in docs]
    fast = (time.perf_counter() - began) / len(docs)
    candidates = sum(len(percolator.candidates(doc)) for doc in docs) / len(docs)
    began = time.perf_counter()
    brute = [percolator.brute_force(doc) for doc in docs[:brute_n]]
    slow = (time.perf_counter() - began) / max(1, brute_n)
    identical = all(sorted(a) == sorted(b) for a, b in zip(matched, brute, strict=False))
    total = sum(map(len, matched))
    per_100k = fast * 1000 * 100_000 / len(percolator)
    memory = index_bytes(queries, frequencies)
    return f"""# Percolation: {len(percolator):,} saved queries x {len(docs):,} new articles

Command: `python -m bench.percolate --queries {queries_n} --articles {articles_n} \
--brute {brute_n}` (`make bench-percolate`), SQLite stemming (Porter).

| measure | value |
| --- | ---: |
| index, ms per article | {fast * 1000:.3f} |
| index, ms per article per 100,000 queries | {per_100k:.3f} |
| brute-force loop, ms per article | {slow * 1000:.1f} |
| speed-up | {slow / fast:,.0f}x |
| candidates verified per article (of {len(percolator):,}) | {candidates:.1f} |
| matches in all, per article | {total:,}, {total / len(docs):.2f} |
| matches identical to brute force (first {brute_n:,} articles) | {"yes" if identical else "NO"} |
| index memory (tracemalloc, queries compiled + index) | {memory / 2**20:.1f} MiB |
| index build, s | {build_seconds:.1f} |
| article -> Document (both need it), ms per article | {doc_seconds * 1000:.3f} |

Goal: >= 100x faster than the brute-force loop and < 1 ms per article per 100,000 queries.
Articles: 9-word title, 30-word summary, 120-word text from a 120,000-word Zipf vocabulary.
"""


def main() -> None:
    """Run the benchmark and write bench/results/percolate.md."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=100_000)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--brute", type=int, default=300)
    args = parser.parse_args()
    report = run(args.queries, args.articles, min(args.brute, args.articles))
    RESULTS.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()

"""Percolation benchmark: saved queries x new articles, the index against trying every query.

    python -m bench.percolate [--queries 100000] [--articles 10000] [--brute 300]

Articles and query words come from the search benchmark's Zipf corpus (bench.search_data).
Queries mix one to three words, two-word phrases, ORs, prefixes and exclusions. The index is
built with stem frequencies counted on the first 1,000 articles (as a running bot would keep
them). Every article is percolated; the brute-force loop (every query on every article) runs
on the first --brute articles, whose matches must be identical. Timings (CPU time) exclude
turning an article into a Document, which both need and which is reported on its own.
"""

from __future__ import annotations

import argparse
import random
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench.report import FUNCTION_WORDS
from bench.search_data import Corpus, article_rows
from news.errors import QueryError
from news.percolate import PORTER, Document, Percolator, document
from news.query import parse_query

# Query words skip the function words and then this many of the commonest words: 500 (a word
# as common as "week" or "city" is still an alert), and 5,000 (specific words, as most are).
SKIPS = (500, 5_000)
RESULTS = Path(__file__).parent / "results" / "percolate.md"
# Timings are CPU time (time.process_time: the machine is shared, and waiting for a core is
# not work) of the fastest of this many equal blocks of articles, the least disturbed one.
INDEX_BLOCKS, BRUTE_BLOCKS = 10, 3


def make_queries(corpus: Corpus, count: int, skip: int, seed: int = 5) -> list[str]:
    """Return `count` queries: words picked by frequency, past the `skip` commonest words."""
    rng = random.Random(seed)
    first = len(FUNCTION_WORDS) + skip
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


KINDS = ("words", "phrase", "OR", "prefix*", "with exclusions")


def kind_of(query: str) -> str:
    """Return which of make_queries' KINDS the query is."""
    if " -" in query:
        return "with exclusions"
    if query.endswith("*"):
        return "prefix*"
    if " OR " in query:
        return "OR"
    return "phrase" if query.startswith('"') else "words"


def make_documents(corpus: Corpus, count: int) -> tuple[list[Document], float]:
    """Return the articles as Documents and the seconds per article it took."""
    rows = [r for batch in article_rows(corpus, count, start=datetime.now(UTC)) for r in batch]
    began = time.process_time()
    docs = [document(PORTER, title, summary, text) for _, _, _, title, _, text, summary in rows]
    return docs, (time.process_time() - began) / count


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


def timed(
    run: Callable[[Document], list[int]], docs: list[Document], blocks: int
) -> tuple[list[list[int]], float]:
    """Return run() of every document, and the seconds per document of the fastest of
    `blocks` equal blocks of documents."""
    results: list[list[int]] = []
    fastest = float("inf")
    size = -(-len(docs) // blocks)
    for start in range(0, len(docs), size):
        block = docs[start : start + size]
        began = time.process_time()
        results += [run(doc) for doc in block]
        fastest = min(fastest, (time.process_time() - began) / len(block))
    return results, fastest


def measure(queries: list[str], docs: list[Document], brute_n: int) -> dict[str, str]:
    """Return the measures of one query mix against the documents, formatted."""
    frequencies: Counter[str] = Counter(s for doc in docs[:1000] for s in doc.positions)
    began = time.process_time()
    percolator = build(queries, frequencies)
    build_seconds = time.process_time() - began
    began = time.process_time()
    matched, fast = timed(percolator.match, docs, INDEX_BLOCKS)
    fast_all = (time.process_time() - began) / len(docs)
    sizes = [percolator.lookup_sizes(doc) for doc in docs]
    by_key = sum(exact for exact, _ in sizes) / len(docs)
    verified = sum(verify for _, verify in sizes) / len(docs)
    began = time.process_time()
    brute, slow = timed(percolator.brute_force, docs[:brute_n], BRUTE_BLOCKS)
    slow_all = (time.process_time() - began) / max(1, brute_n)
    identical = all(sorted(a) == sorted(b) for a, b in zip(matched, brute, strict=False))
    total = sum(map(len, matched))
    kinds = Counter(kind_of(queries[key]) for found in matched for key in found)
    by_kind = ", ".join(f"{kind} {kinds[kind] / len(docs):.1f}" for kind in KINDS)
    return {
        "saved queries": f"{len(percolator):,}",
        "index, ms per article": f"{fast * 1000:.3f}",
        "index, ms per article per 100,000 queries": f"{fast * 1e8 / len(percolator):.3f}",
        "brute-force loop, ms per article": f"{slow * 1000:.1f}",
        "speed-up": f"{slow / fast:,.0f}x",
        "the same over all articles (not just the fastest block): index, brute force, speed-up": (
            f"{fast_all * 1000:.3f} ms, {slow_all * 1000:.1f} ms, {slow_all / fast_all:,.0f}x"
        ),
        "distinct saved queries": f"{percolator.distinct:,}",
        "queries matched by their key alone, per article": f"{by_key:.1f}",
        "queries verified per article": f"{verified:.1f}",
        "matches per article": f"{total / len(docs):.2f}",
        "of which, by the kind of query": by_kind,
        f"matches identical to brute force (first {brute_n:,} articles)": (
            "yes" if identical else "NO"
        ),
        "index memory (tracemalloc: compiled queries + index)": (
            f"{index_bytes(queries, frequencies) / 2**20:.1f} MiB"
        ),
        "index build, s": f"{build_seconds:.1f}",
    }


def run(queries_n: int, articles_n: int, brute_n: int) -> str:
    """Return the results as Markdown."""
    corpus = Corpus.build()
    docs, doc_seconds = make_documents(corpus, articles_n)
    columns = {
        skip: measure(make_queries(corpus, queries_n, skip), docs, brute_n) for skip in SKIPS
    }
    head = " | ".join(f"words past the {skip:,} commonest" for skip in SKIPS)
    rows = [
        f"| {name} | " + " | ".join(columns[skip][name] for skip in SKIPS) + " |"
        for name in columns[SKIPS[0]]
    ]
    table = "\n".join([f"| measure | {head} |", "| --- |" + " ---: |" * len(SKIPS), *rows])
    return f"""# Percolation: {queries_n:,} saved queries x {len(docs):,} new articles

Command: `python -m bench.percolate --queries {queries_n} --articles {articles_n} \
--brute {brute_n}` (`make bench-percolate`), SQLite stemming (Porter).

{table}

Turning an article into a Document (tokens, stems; both ways need it): \
{doc_seconds * 1000:.3f} ms per article.

Goal: >= 100x faster than the brute-force loop and < 1 ms per article per 100,000 queries.
Timings are CPU time (the machine is shared) of the fastest of {INDEX_BLOCKS} (index) and \
{BRUTE_BLOCKS} (brute force) equal blocks of articles; the row "over all articles" has the \
plain means.
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

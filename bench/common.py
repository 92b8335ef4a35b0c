"""Shared pieces of the summary benchmarks: the dev sets, the methods compared, the budgets."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sumy.nlp.stemmers import Stemmer
from sumy.summarizers.kl import KLSummarizer
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.summarizers.lsa import LsaSummarizer
from sumy.summarizers.luhn import LuhnSummarizer
from sumy.summarizers.sum_basic import SumBasicSummarizer
from sumy.summarizers.text_rank import TextRankSummarizer
from sumy.utils import get_stop_words

from news.summarize import WEIGHTS, Weights, clean_text, split_sentences, summarize
from news.summarize.tokenizer import SentenceTokenizer, to_document

RESULTS = Path(__file__).resolve().parent / "results"
UNCAPPED = 10**9


@dataclass(frozen=True)
class EvalSet:
    """A dev set and its equal-budget view: top ``k`` sentences cut to ``budget`` words."""

    name: str
    k: int
    budget: int


SETS = {
    s.name: s
    for s in (
        EvalSet("cnndm_summeval100", 3, 45),
        EvalSet("xsum_helm", 3, 21),
        EvalSet("bbc_news_summary", 8, 170),
    )
}


@dataclass(frozen=True)
class Article:
    """One dev article with its reference summary."""

    id: str
    title: str | None
    text: str
    summary: str
    # Other references of the same article (CNN/DM: SummEval's crowd-written summaries).
    extra: tuple[str, ...] = ()


def load_set(data: Path, name: str, limit: int | None = None) -> list[Article]:
    """Return the articles of ``data/name/dev.jsonl`` (the first ``limit`` when given)."""
    articles: list[Article] = []
    with (data / name / "dev.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            extra = tuple(r for r in row.get("extra_references") or () if r != row["summary"])
            articles.append(
                Article(row["id"], row.get("title"), row["text"], row["summary"], extra)
            )
            if limit is not None and len(articles) >= limit:
                break
    return articles


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """Add --data, --sets and --limit."""
    parser.add_argument("--data", type=Path, default=Path("../shared/eval"))
    parser.add_argument("--sets", nargs="+", choices=sorted(SETS), default=list(SETS))
    parser.add_argument("--limit", type=int, default=None, help="first N articles per set")


# A method maps (article, number of sentences, character cap) to the summary's sentences.
Method = Callable[[Article, int, int], list[str]]

STOCK = {
    "LexRank": LexRankSummarizer,
    "TextRank": TextRankSummarizer,
    "LSA": LsaSummarizer,
    "Luhn": LuhnSummarizer,
    "KL": KLSummarizer,
    "SumBasic": SumBasicSummarizer,
}


def newsbot(weights: Weights = WEIGHTS) -> Method:
    """Return newsbot's summarizer with ``weights``, called the way the digest calls it."""

    def run(article: Article, count: int, max_chars: int) -> list[str]:
        return summarize(
            article.text,
            sentences=count,
            max_chars=max_chars,
            title=article.title,
            weights=weights,
        )

    return run


def shared_sentences(article: Article) -> list[str]:
    """Return the sentences every baseline works on: newsbot's cleaning and splitter."""
    return split_sentences(clean_text(article.text), "en")


def lead(article: Article, count: int, max_chars: int) -> list[str]:
    """Return the first ``count`` sentences."""
    return shared_sentences(article)[:count]


def stock(name: str) -> Method:
    """Return stock sumy method ``name`` (English stemmer and stop words, our splitter)."""
    summarizer = STOCK[name](Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")
    tokenizer = SentenceTokenizer("en")

    def run(article: Article, count: int, max_chars: int) -> list[str]:
        document = to_document(shared_sentences(article), tokenizer)
        return [str(s) for s in summarizer(document, count)]

    return run


def methods() -> dict[str, Method]:
    """Return every method of the quality benchmark by display name."""
    return {"newsbot": newsbot(), "Lead-k": lead} | {name: stock(name) for name in STOCK}


def cut_words(text: str, budget: int) -> str:
    """Return the first ``budget`` words of ``text``."""
    return " ".join(text.split()[:budget])

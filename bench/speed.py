"""Summarizer throughput: newsbot's summarizer beside stock pysbd + sumy LexRank, same run.

    python -m bench.speed --data ../shared/eval [--sets ...] [--limit N] [--rounds 2]

Both summarize every dev article to 3 sentences. The two are interleaved article by article
(alternating which goes first) and the whole pass is repeated, so machine noise hits both
alike; the throughput of each is its total over all rounds. A stage breakdown shows where
the time goes. The table is printed and written to bench/results/speed.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pysbd
from nltk.tokenize import NLTKWordTokenizer
from sumy.nlp.stemmers import Stemmer
from sumy.nlp.tokenizers import Tokenizer
from sumy.parsers.plaintext import PlaintextParser
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.utils import get_stop_words

from bench.common import RESULTS, Article, add_common_arguments, load_set
from news.summarize import clean_text, detect_language, split_sentences, summarize
from news.summarize.language import language_kit
from news.summarize.rank import ranked
from news.summarize.tokenizer import words

SENTENCES = 3


class StockTokenizer:
    """sumy's default tokenizer with pysbd for sentences (punkt is a download we cannot do).

    Words come from NLTK's Treebank-style tokenizer, which is what ``nltk.word_tokenize``
    runs on each sentence, filtered by sumy's own word pattern.
    """

    def __init__(self) -> None:
        self.language = "english"
        self._sentences = pysbd.Segmenter(language="en", clean=False)
        self._words = NLTKWordTokenizer()

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        """Return pysbd's sentences."""
        return tuple(s.strip() for s in self._sentences.segment(paragraph) if s.strip())

    def to_words(self, sentence: str) -> tuple[str, ...]:
        """Return the words sumy keeps."""
        return tuple(w for w in self._words.tokenize(sentence) if Tokenizer._is_word(w))


def stock_summarizer() -> Callable[[str], list[str]]:
    """Return stock sumy: plain-text parser, pysbd sentences, LexRank, English resources."""
    tokenizer = StockTokenizer()
    summarizer = LexRankSummarizer(Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")

    def run(text: str) -> list[str]:
        document = PlaintextParser.from_string(text, tokenizer).document
        return [str(s) for s in summarizer(document, SENTENCES)]

    return run


def newsbot_summarizer() -> Callable[[str], list[str]]:
    """Return newsbot's summarizer as the pipeline calls it (language detected inside)."""
    return lambda text: summarize(text, sentences=SENTENCES)


def measure(articles: list[Article], rounds: int) -> dict[str, float]:
    """Return summaries per second of each summarizer, interleaved article by article."""
    runners = {"newsbot": newsbot_summarizer(), "stock": stock_summarizer()}
    for article in articles[:10]:  # warm up: model loading is not throughput
        for run in runners.values():
            run(article.text)
    spent = dict.fromkeys(runners, 0.0)
    names = list(runners)
    for r in range(rounds):
        for i, article in enumerate(articles):
            order = names if (i + r) % 2 == 0 else names[::-1]
            for name in order:
                started = time.perf_counter()
                runners[name](article.text)
                spent[name] += time.perf_counter() - started
    return {name: rounds * len(articles) / seconds for name, seconds in spent.items()}


def stages(articles: list[Article]) -> list[tuple[str, float]]:
    """Return milliseconds per article of each stage of both summarizers (one pass each)."""
    tokenizer = StockTokenizer()
    stemmer = Stemmer("english")
    texts = [a.text for a in articles]
    clean = [clean_text(t) for t in texts]
    parts = [split_sentences(t) for t in clean]
    tokens = [[words(s) for s in p] for p in parts]
    kit = language_kit("en")
    terms = [kit.terms(t) for t in tokens]
    stock, ours = stock_summarizer(), newsbot_summarizer()
    stock_words = [
        [w for s in tokenizer.to_sentences(t) for w in tokenizer.to_words(s)] for t in texts
    ]
    steps: list[tuple[str, Callable[[int], object]]] = [
        ("stock: pysbd sentence splitting", lambda i: tokenizer.to_sentences(texts[i])),
        ("stock: NLTK word tokenizing", lambda i: [tokenizer.to_words(s) for s in parts[i]]),
        ("stock: Snowball stemming, every word", lambda i: [stemmer(w) for w in stock_words[i]]),
        ("stock: whole (parse + LexRank)", lambda i: stock(texts[i])),
        ("newsbot: clean_text", lambda i: clean_text(texts[i])),
        ("newsbot: detect_language", lambda i: detect_language(clean[i])),
        ("newsbot: split_sentences", lambda i: split_sentences(clean[i])),
        ("newsbot: words", lambda i: [words(s) for s in parts[i]]),
        ("newsbot: stop words + stemming (memoized)", lambda i: kit.terms(tokens[i])),
        (
            "newsbot: similarity matrix + rating",
            lambda i: ranked(parts[i], [len(t) for t in tokens[i]], terms[i]),
        ),
        ("newsbot: whole summarize", lambda i: ours(texts[i])),
    ]
    result = []
    for label, step in steps:
        started = time.perf_counter()
        for i in range(len(texts)):
            step(i)
        result.append((label, 1000 * (time.perf_counter() - started) / len(texts)))
    return result


NOTES = "## Notes"


def main() -> None:
    """Run the benchmark and write bench/results/speed.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS / "speed.md")
    args = parser.parse_args()
    lines = [
        f"# Summarizer throughput ({SENTENCES} sentences, summaries per second, one core)",
        "",
        "| set | articles | newsbot | stock pysbd + LexRank | ratio |",
        "|---|---|---|---|---|",
    ]
    everything: list[Article] = []
    for name in args.sets:
        articles = load_set(args.data, name, args.limit)
        everything += articles
        rate = measure(articles, args.rounds)
        ratio = rate["newsbot"] / rate["stock"]
        lines.append(
            f"| {name} | {len(articles)} | {rate['newsbot']:.0f} | {rate['stock']:.0f} "
            f"| {ratio:.1f}x |"
        )
        print(lines[-1], flush=True)
    lines += ["", "Where the time goes (ms per article, all sets, one pass):", ""]
    lines += ["| stage | ms |", "|---|---|"]
    lines += [f"| {label} | {ms:.2f} |" for label, ms in stages(everything)]
    command = " ".join(["python -m bench.speed", *sys.argv[1:]])
    lines += ["", f"Command: `{command}`", ""]
    text = "\n".join(lines)
    old = args.out.read_text(encoding="utf-8") if args.out.is_file() else ""
    notes = old[old.find(NOTES) :] if NOTES in old else ""  # hand-written, kept across runs
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + ("\n" + notes if notes else ""), encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()

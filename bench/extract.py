"""Extraction quality: news.extract beside plain trafilatura, by the ScrapingHub metric.

    .venv/bin/python -m bench.extract [--data ../shared/eval] [--pairs DIR] [--scrapinghub DIR]

Scoring is the article-extraction-benchmark's own evaluate.py, restated: per page, true/false
positives and false negatives over word 4-gram shingles (tokens are \\w+ runs), normalized to
sum to 1; precision and recall are the means over pages, F1 is computed from those two means,
and the ± is 1.96 standard deviations over bootstrap resamples of the pages. A page an
extractor returns nothing for (ExtractError for ours) counts as an empty prediction and as a
failure. "plain trafilatura" is called the way the benchmark's run_trafilatura.py calls it.

Page sets, none of them our seed pages and none tuned on:
- built: pages made here from the dev sets' BBC articles (title + paragraphs) poured into
  five layouts of common sites (see ``LAYOUTS``): the expected text is the article itself.
- --pairs DIR: a folder of html/NAME.html + txt/NAME.txt, such as the test pages shipped in
  newspaper4k's sdist (MIT): ``pip download --no-deps --no-binary :all: newspaper4k==0.9.6``,
  unpack, and pass newspaper4k-0.9.6/tests/data (its expected texts are newspaper's goldens).
- --scrapinghub DIR: a checkout of scrapinghub/article-extraction-benchmark (html/*.html.gz,
  ground-truth.json), when one is at hand.
The table is printed and written to bench/results/extract.md.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import trafilatura

from bench.common import RESULTS, load_set
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


def plain_trafilatura(body: bytes) -> str:
    return trafilatura.extract(body.decode("utf-8"), include_comments=False) or ""


Page = tuple[str, bytes, str]  # name, HTML, expected text


def scrapinghub_pages(root: Path) -> Iterator[Page]:
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    for item_id in sorted(truth):
        body = gzip.decompress((root / "html" / f"{item_id}.html.gz").read_bytes())
        yield item_id, body, truth[item_id].get("articleBody", "")


def paired_pages(root: Path) -> Iterator[Page]:
    for page in sorted((root / "html").glob("*.html")):
        expected = root / "txt" / f"{page.stem}.txt"
        if expected.is_file():
            yield page.stem, page.read_bytes(), expected.read_text(encoding="utf-8")


NAV = "".join(
    f'<li><a href="/{w.lower()}">{w}</a></li>' for w in ["Home", "World", "Business", "Sport"]
)
SHARE = '<div class="share"><a href="#">Share on Facebook</a> <a href="#">Tweet</a></div>'
FOOTER = (
    "<footer><p>© 2026 Example News. All rights reserved.</p><a href='/privacy'>Privacy</a>"
    "</footer>"
)


def _related(titles: list[str]) -> str:
    items = "".join(
        f'<li><a href="/story/{i}">{html.escape(t)}</a></li>' for i, t in enumerate(titles)
    )
    return f'<aside class="related"><h2>Related stories</h2><ul>{items}</ul></aside>'


def _article(title: str, paragraphs: list[str], related: list[str]) -> str:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        f"<header><nav><ul>{NAV}</ul></nav></header><main><article><h1>{html.escape(title)}</h1>"
        f'<p class="byline">By Staff Reporter</p>{body}{SHARE}</article>{_related(related)}</main>'
        f"{FOOTER}"
    )


def _divs(title: str, paragraphs: list[str], related: list[str]) -> str:
    body = "<br><br>".join(html.escape(p) for p in paragraphs)
    return (
        f'<div id="top"><ul class="menu">{NAV}</ul></div><div class="content"><h1>'
        f'{html.escape(title)}</h1><div class="story-text">{body}</div>{SHARE}<div '
        'class="newsletter">Sign up for our daily newsletter. Enter your email address.</div>'
        f"</div>{_related(related)}{FOOTER}"
    )


def _comments(title: str, paragraphs: list[str], related: list[str]) -> str:
    thread = "".join(
        f'<div class="comment"><p class="author">reader{i} says:</p><p>{html.escape(t)} '
        "Great article, thanks for sharing it with us all.</p><a href='#'>Reply</a></div>"
        for i, t in enumerate(related)
    )
    return (
        _article(title, paragraphs, [])
        + f'<section id="comments"><h2>Comments</h2>{thread}</section>'
    )


def _table(title: str, paragraphs: list[str], related: list[str]) -> str:
    body = "".join(f"<p><font size=2>{html.escape(p)}</font></p>" for p in paragraphs)
    links = "<br>".join(f"<a href='/s/{i}'>{html.escape(t)}</a>" for i, t in enumerate(related))
    return (
        f"<table width=100%><tr><td colspan=2>{NAV}</td></tr><tr><td width=20%>{links}</td><td>"
        f"<h2>{html.escape(title)}</h2>{body}</td></tr><tr><td colspan=2>{FOOTER}</td></tr>"
        "</table>"
    )


def _app_shell(title: str, paragraphs: list[str], related: list[str]) -> str:
    # A script-rendered page: the story only in its JSON-LD, the body a loading placeholder.
    data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": title}
    data["articleBody"] = "\n".join(paragraphs)
    ld = json.dumps(data).replace("</", "<\\/")
    return f'<div id="root">Loading…</div><script type="application/ld+json">{ld}</script>'


LAYOUTS: dict[str, Callable[[str, list[str], list[str]], str]] = {
    "article": _article,
    "divs": _divs,
    "comments": _comments,
    "table": _table,
    "app-shell": _app_shell,
}


def built_pages(data: Path, per_layout: int) -> Iterator[Page]:
    """Yield BBC dev articles poured into every layout, the article's paragraphs expected."""
    articles = [a for a in load_set(data, "bbc_news_summary") if a.title][: per_layout * 2]
    titles = [a.title or "" for a in articles]
    for name, layout in LAYOUTS.items():
        for i, article in enumerate(articles[:per_layout]):
            paragraphs = [p.strip() for p in article.text.split("\n") if p.strip()]
            related = titles[per_layout + i : per_layout + i + 4]
            page = layout(article.title or "", paragraphs, related)
            doc = f"<!DOCTYPE html><html><head><title>{html.escape(article.title or '')}"
            doc += f"</title></head><body>{page}</body></html>"
            yield f"{name}/{article.id}", doc.encode("utf-8"), "\n".join(paragraphs)


def score(pages: list[Page], extractor: Callable[[bytes], str]) -> tuple[list[Scores], list[str]]:
    """Return the per-page scores and the names of the pages the extractor found nothing in."""
    scores, failed = [], []
    for name, body, expected in pages:
        text = extractor(body)
        if not text.strip():
            failed.append(name)
        scores.append(tp_fp_fn(expected, text))
    return scores, failed


def rows(label: str, pages: list[Page], n_bootstrap: int) -> list[str]:
    """Return one table row per extractor for a set of pages."""
    lines = []
    for name, extractor in (("newsbot", ours), ("plain trafilatura", plain_trafilatura)):
        started = time.perf_counter()
        scores, failed = score(pages, extractor)
        ms = 1000 * (time.perf_counter() - started) / max(1, len(pages))
        m = with_ci(scores, n_bootstrap)
        lines.append(
            f"| {label} | {len(pages)} | {name} | {m['precision']:.3f} | {m['recall']:.3f} "
            f"| {m['f1']:.3f} ± {m['f1_ci']:.3f} | {len(failed)} {' '.join(failed[:3])} "
            f"| {ms:.0f} |"
        )
        print(lines[-1], flush=True)
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/eval"), help="the dev sets")
    ap.add_argument("--per-layout", type=int, default=20, help="built pages per layout")
    ap.add_argument("--pairs", type=Path, help="a folder of html/NAME.html + txt/NAME.txt")
    ap.add_argument("--scrapinghub", type=Path, help="article-extraction-benchmark checkout")
    ap.add_argument("--n-bootstrap", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=RESULTS / "extract.md")
    args = ap.parse_args()
    sets = {"built": list(built_pages(args.data, args.per_layout))}
    for layout in LAYOUTS:
        sets[f"built: {layout}"] = [p for p in sets["built"] if p[0].startswith(layout + "/")]
    if args.pairs:
        # newspaper4k-0.9.6/tests/data is labelled by its package.
        sets[f"pairs: {args.pairs.resolve().parent.parent.name}"] = list(paired_pages(args.pairs))
    if args.scrapinghub:
        sets["scrapinghub"] = list(scrapinghub_pages(args.scrapinghub))
    lines = [
        "# Extraction quality (word 4-gram shingles, the ScrapingHub benchmark's metric)",
        "",
        "| pages | count | extractor | precision | recall | F1 | found nothing | ms/page |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, pages in sets.items():
        lines += rows(label, pages, args.n_bootstrap)
    command = " ".join(["python -m bench.extract", *sys.argv[1:]])
    lines += ["", f"Command: `{command}`", ""]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

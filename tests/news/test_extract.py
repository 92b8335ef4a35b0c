"""extract() against golden article pages, its errors, and the teaser rule."""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pytest

from news.errors import ExtractError
from news.extract import extract, is_teaser
from news.parse import parse_feed
from news.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
ARTICLES = ROOT / "seeds" / "articles"
FEEDS = ROOT / "seeds" / "feeds"
PAGES = sorted(ARTICLES.glob("*.html"))
# Page furniture that must never reach the text: navigation, sharing, newsletter and cookie
# boxes, related links, comments, footers.
LEAKS = [
    "Home",
    "Subscribe",
    "Sign in",
    "Share",
    "Copy link",
    "cookies",
    "Accept all",
    "Sign up",
    "newsletter",
    "READ MORE",
    "Related stories",
    "Recent notes",
    "Comments",
    "Reply",
    "likes",
    "says:",
    "Photograph:",
    "Advertisement",
    "Privacy policy",
    "©",
    "All rights reserved",
    "WordPress",
    "Previous note",
    "Women's top three",
    "ocean calendar",
]


def shingle_f1(expected: str, got: str, n: int = 4) -> float:
    """F1 over word 4-grams, as the ScrapingHub article-extraction benchmark scores."""

    def shingles(text: str) -> Counter[tuple[str, ...]]:
        words = re.findall(r"\w+", text)
        return Counter(tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1)))

    want, have = shingles(expected), shingles(got)
    tp = sum((want & have).values())
    precision, recall = tp / sum(have.values()), tp / sum(want.values())
    return 2 * precision * recall / (precision + recall) if tp else 0.0


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_extracts_the_golden_text(page: Path) -> None:
    expected = page.with_suffix(".expected.txt").read_text(encoding="utf-8").strip().split("\n")

    text = extract(page.read_bytes(), url=f"https://example.com/{page.name}")

    lines = text.split("\n")
    positions = [lines.index(paragraph) for paragraph in expected]  # each one, verbatim
    assert positions == sorted(positions)  # and in reading order
    for leak in LEAKS:
        assert leak not in text, leak
    assert shingle_f1("\n".join(expected), text) > 0.95


def test_extraction_is_deterministic() -> None:
    page = (ARTICLES / "coral-reef.html").read_bytes()

    assert extract(page) == extract(page) == extract(page.decode("utf-8"))


def test_headline_and_pull_quote_are_not_repeated() -> None:
    text = extract((ARTICLES / "coral-reef.html").read_bytes())

    assert not text.startswith("Heat-tolerant corals")
    assert text.count("These reefs are living at temperatures") == 1


RUSSIAN = """<!DOCTYPE html><html lang="ru"><head>
<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">
<title>Новости</title></head><body><nav><a href="/">Главная</a> <a href="/news">Новости</a></nav>
<article><h1>Заголовок</h1>
<p>В понедельник в Казани заработал новый центр обработки данных мощностью сорок мегаватт.
Это крупнейший центр в Поволжье, в нём разместятся почти три тысячи серверных стоек.</p>
<p>Оператор центра сообщил, что для охлаждения оборудования используется наружный воздух
большую часть года, а тепло от серверов будет обогревать соседний жилой квартал.</p>
<p>Первыми клиентами стали банки и облачные сервисы, которым нужны мощности для обучения
нейросетей. Вторая очередь центра должна быть построена к две тысячи двадцать восьмому году.</p>
</article><footer>© 2026 Пример</footer></body></html>"""


def test_bytes_are_decoded_by_the_meta_charset() -> None:
    text = extract(RUSSIAN.encode("cp1251"))

    assert "наружный воздух" in text
    assert "Главная" not in text


def test_http_charset_is_used_when_the_page_declares_none() -> None:
    page = RUSSIAN.replace("; charset=windows-1251", "").encode("koi8_r")

    text = extract(page, content_type="text/html; charset=KOI8-R")

    assert "серверных стоек" in text


STORY = (
    "The new bridge over the river opened to traffic on Monday after four years of work. "
    "City engineers said the crossing would cut the commute from the northern suburbs by "
    "twenty minutes. The project cost 140 million euros, less than the council approved."
)
STORY_JSON = json.dumps({"@type": "NewsArticle", "headline": "Bridge opens", "articleBody": STORY})


@pytest.mark.parametrize(
    "page",
    [
        f"<html><body><nav><a href='/'>Home</a></nav><aside><p>{STORY}</p></aside></body></html>",
        '<html><head><script type="application/ld+json">'
        f"{STORY_JSON}</script></head><body><div id='app'>Loading...</div></body></html>",
    ],
    ids=["story-in-an-aside", "json-ld-article-body"],
)
def test_a_page_the_precise_pass_finds_nothing_in_falls_back_to_recall(
    page: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="news.extract"):
        text = extract(page.encode("utf-8"), url="https://example.com/bridge")

    assert "cut the commute from the northern suburbs" in text
    assert "Home" not in text
    assert "extract fell back url=https://example.com/bridge pass=recall" in caplog.text


def test_a_page_the_precise_pass_reads_logs_no_fallback(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="news.extract"):
        extract((ARTICLES / "coral-reef.html").read_bytes())

    assert "fell back" not in caplog.text


@pytest.mark.parametrize(
    "page",
    [
        b"",
        b" \n\t ",
        b"<html><head><script>var app = {};</script></head><body></body></html>",
        b"<html><body><script>document.write('Loading...')</script><noscript>Enable JS"
        b"</noscript></body></html>",
        b"<html><body><nav><a href='/'>Home</a> <a href='/a'>About</a></nav></body></html>",
        b"\x00\x01\x02\xff binary",
        b"just some plain words",
    ],
    ids=["empty", "blank", "script-only", "js-app", "nav-only", "binary", "plain-text"],
)
def test_no_main_text_raises_extract_error(page: bytes) -> None:
    with pytest.raises(ExtractError, match=r"^extract: "):
        extract(page, url="https://example.com/x")


@pytest.mark.parametrize(
    ("text", "min_words", "teaser"),
    [
        ("", 80, True),
        ("A short teaser of a few words.", 80, True),
        ("word " * 120, 80, False),
        ("word " * 120 + "Continue reading »", 80, True),
        ("word " * 120 + "[…]", 80, True),
        ("word " * 300 + "…", 80, False),
        ("слово " * 50 + "Читать далее", 40, True),
        ("这是一个很长的句子" * 20, 80, False),
        ("A short teaser.", 0, False),
    ],
    ids=["empty", "short", "long", "read-more", "ellipsis", "long-ellipsis", "ru", "cjk", "off"],
)
def test_is_teaser(text: str, min_words: int, teaser: bool) -> None:
    assert is_teaser(text, min_words=min_words) is teaser


def test_every_seed_teaser_links_to_a_seed_article() -> None:
    """The demo reads article pages from disk: no teaser item may point to the internet."""
    min_words = Settings(_env_file=None).teaser_words
    teasers = []
    for path in sorted(FEEDS.glob("*.xml")):
        feed = parse_feed(path.read_bytes(), url=path.as_uri())
        for entry in feed.entries:
            if is_teaser(entry.text, min_words=min_words):
                assert entry.url is not None
                assert entry.url.startswith("file:"), (path.name, entry.title)
                page = Path(url2pathname(urlsplit(entry.url).path))
                assert page.is_file()
                assert page.with_suffix(".expected.txt").is_file()
                teasers.append(page.stem)

    assert sorted(teasers) == sorted(
        ["quantum-chip", "quantum-chip", "battery-plant", "marathon-record", "coral-reef"]
    )

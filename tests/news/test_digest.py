"""build_digest and same_story: window, same-story merging, ranking, cap, summary fallback."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from news.digest import build_digest, normalize_link, same_story
from news.models import Article, Digest

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=1)
FEEDS = {1: "Reuters", 2: "BBC News", 3: "The Verge", 4: "AP"}


def article(
    id: int,
    title: str,
    url: str | None = None,
    *,
    feed: int = 1,
    hours_ago: float = 1.0,
    fetched_hours_ago: float | None = None,
    summary: str | None = "First sentence.\nSecond sentence.",
    text: str = "Body of the article. It goes on.",
) -> Article:
    fetched = NOW - timedelta(hours=hours_ago if fetched_hours_ago is None else fetched_hours_ago)
    return Article(
        id=id,
        feed_id=feed,
        title=title,
        url=url if url is not None else f"https://example.com/{id}",
        published_at=NOW - timedelta(hours=hours_ago),
        fetched_at=fetched,
        text=text,
        summary=summary,
        feed_title=FEEDS[feed],
    )


def digest(*articles: Article, limit: int = 10) -> Digest:
    return build_digest(articles, since=SINCE, until=NOW, limit=limit)


# --- same story -----------------------------------------------------------------------------

SAME = [
    pytest.param(
        ("Fed raises rates", "https://news.example.com/fed-raises?utm_source=rss&utm_medium=x"),
        ("Another headline", "HTTPS://News.Example.com/fed-raises/#comments"),
        id="link-utm-case-slash-fragment",
    ),
    pytest.param(
        ("A", "http://www.example.com/story?id=7&fbclid=abc"),
        ("B", "https://example.com/story?gclid=zz&id=7"),
        id="link-www-scheme-fbclid-gclid",
    ),
    pytest.param(
        ("Scientists discover water ice on the Moon's south pole", "https://a.example/1"),
        ("Scientists Discover Water Ice On Moon’s South Pole - BBC News", "https://b.example/2"),
        id="title-case-punctuation-feed-suffix",
    ),
    pytest.param(
        ("EU agrees landmark deal on AI rules after marathon talks", "https://a.example/1"),
        ("EU agrees landmark deal on AI rules after marathon talks in Brussels", "https://b/2"),
        id="title-one-extra-word",
    ),
]

DIFFERENT = [
    pytest.param(
        ("Apple unveils new iPhone", "https://a.example/1"),
        ("Apple unveils new iPad", "https://b.example/2"),
        id="one-key-word-differs",
    ),
    pytest.param(
        ("Russia-Ukraine war: key events on day 500", "https://a.example/1"),
        ("Russia-Ukraine war: key events on day 501", "https://b.example/2"),
        id="numbers-differ",
    ),
    pytest.param(
        ("Stocks rally as tech earnings beat forecasts", "https://a.example/1"),
        ("Tech layoffs continue as earnings forecasts cut", "https://b.example/2"),
        id="shared-words-different-story",
    ),
    pytest.param(
        ("Live updates", "https://a.example/1"),
        ("Live updates", "https://b.example/2"),
        id="short-generic-title",
    ),
    pytest.param(
        ("Front page", "https://a.example/"),
        ("Other front page story", "https://www.a.example"),
        id="site-root-link-names-no-story",
    ),
]


def _pair(left: tuple[str, str], right: tuple[str, str]) -> tuple[Article, Article]:
    a = article(1, left[0], left[1], feed=1)
    b = article(2, right[0], right[1], feed=2)
    return a, b


@pytest.mark.parametrize(("left", "right"), SAME)
def test_same_story_is_found_in_both_directions(
    left: tuple[str, str], right: tuple[str, str]
) -> None:
    a, b = _pair(left, right)
    assert same_story(a, b)
    assert same_story(b, a)


@pytest.mark.parametrize(("left", "right"), DIFFERENT)
def test_different_stories_stay_apart_in_both_directions(
    left: tuple[str, str], right: tuple[str, str]
) -> None:
    a, b = _pair(left, right)
    assert not same_story(a, b)
    assert not same_story(b, a)


def test_one_feed_repeating_a_title_is_two_stories_but_a_repeated_link_is_one() -> None:
    a = article(1, "Morning briefing: what you need to know today", "https://a.example/1")
    b = article(2, "Morning briefing: what you need to know today", "https://a.example/2")
    c = article(3, "Updated headline", "https://a.example/1?utm_campaign=x")
    assert not same_story(a, b)
    assert same_story(a, c)


def test_normalize_link_keeps_what_names_the_page() -> None:
    assert normalize_link("https://Example.com:443/a/b/?b=2&a=1#x") == "//example.com/a/b?a=1&b=2"
    assert normalize_link("https://example.com:8443/a") == "//example.com:8443/a"
    assert normalize_link("https://example.com/A") != normalize_link("https://example.com/a")
    assert normalize_link("  ") is None
    assert normalize_link(None) is None


# --- build_digest ---------------------------------------------------------------------------


def test_duplicates_across_feeds_become_one_item_listing_every_source() -> None:
    reuters = article(1, "Fed raises rates", "https://fed.example/x?utm_source=a", hours_ago=2)
    bbc = article(2, "Fed lifts rates again", "https://fed.example/x/", feed=2, hours_ago=1)
    ap = article(3, "Fed raises rates", "https://fed.example/x#top", feed=4, hours_ago=3)
    other = article(4, "Storm hits the coast overnight", feed=3)

    result = digest(reuters, bbc, ap, other)

    assert result.total == 2
    first = result.items[0]
    # The earliest report leads; every other feed is named after it, in order of publication.
    assert first.article_id == 3
    assert first.source == "AP, Reuters, BBC News"
    assert first.title == "Fed raises rates"


def test_the_lead_article_is_the_earliest_with_a_summary() -> None:
    early = article(1, "Quake strikes off the coast of Japan", hours_ago=3, summary=None)
    later = article(2, "Quake strikes off the coast of Japan", feed=2, hours_ago=2)
    item = digest(early, later).items[0]
    assert item.article_id == 2
    assert item.summary == ["First sentence.", "Second sentence."]
    assert item.source == "BBC News, Reuters"


def test_stories_in_more_feeds_come_first_then_newest_then_by_id() -> None:
    old_big = article(1, "Election results are in across the country", hours_ago=20)
    old_big_2 = article(2, "Election results are in across the country", feed=2, hours_ago=19)
    fresh = article(3, "Cat rescued from a tree downtown", hours_ago=1)
    older = article(4, "Local bakery wins national bread award", hours_ago=5)
    tie_a = article(6, "Museum opens new dinosaur wing today", hours_ago=8)
    tie_b = article(5, "Train strike called off at the last minute", hours_ago=8)

    result = digest(fresh, older, tie_a, old_big, tie_b, old_big_2)

    assert [item.article_id for item in result.items] == [1, 3, 4, 5, 6]


def test_the_order_does_not_depend_on_the_input_order() -> None:
    articles = [
        article(i, f"Story number {i} about topic {i % 7}", feed=1 + i % 4, hours_ago=i % 5)
        for i in range(1, 40)
    ]
    expected = digest(*articles)
    rng = random.Random(7)
    for _ in range(5):
        rng.shuffle(articles)
        assert digest(*articles) == expected


def test_the_cap_keeps_the_top_stories_and_total_counts_them_all() -> None:
    articles = [
        article(i, f"Distinct story {i} with its own words", hours_ago=i) for i in range(12)
    ]
    result = digest(*articles, limit=5)
    assert result.total == 12
    assert [item.article_id for item in result.items] == [0, 1, 2, 3, 4]
    assert digest(*articles, limit=0).items == []


def test_an_empty_window_gives_an_empty_digest() -> None:
    assert digest().empty
    assert digest().total == 0
    too_old = article(1, "Old news", fetched_hours_ago=25)
    assert digest(too_old).empty


def test_the_window_is_when_articles_arrived() -> None:
    # Published before the window but fetched in it: the previous digest never saw it.
    late = article(1, "Late arrival", hours_ago=30, fetched_hours_ago=2)
    at_since = article(2, "Fetched exactly at the start", fetched_hours_ago=24)
    at_until = article(3, "Fetched exactly at the end", fetched_hours_ago=0)
    after = article(4, "Fetched after the digest", fetched_hours_ago=-1)

    result = digest(late, at_since, at_until, after)

    assert sorted(item.article_id for item in result.items) == [1, 3]


def test_a_future_date_does_not_jump_the_queue() -> None:
    liar = article(1, "Claims to be from the future", hours_ago=-48, fetched_hours_ago=3)
    honest = article(2, "Published an hour ago", hours_ago=1)
    result = digest(liar, honest)
    assert [item.article_id for item in result.items] == [2, 1]
    assert result.items[1].published_at == NOW - timedelta(hours=3)


def test_an_unsummarized_article_shows_the_opening_of_its_text() -> None:
    text = (
        "The council approved the budget on Monday. It includes new bus lanes. "
        "Opponents said it was rushed. A vote on parks follows next week."
    )
    item = digest(article(1, "Council approves budget", summary=None, text=text)).items[0]
    assert item.summary == [
        "The council approved the budget on Monday.",
        "It includes new bus lanes.",
    ]


def test_a_long_first_sentence_is_cut_near_300_characters() -> None:
    text = "word " * 200 + "end."
    item = digest(article(1, "Long", summary=None, text=text)).items[0]
    assert len(item.summary) == 1
    assert len(item.summary[0]) <= 300
    assert item.summary[0].endswith("…")


def test_an_article_without_summary_or_text_is_still_listed() -> None:
    item = digest(article(1, "Only a title", summary="  \n ", text="")).items[0]
    assert item.summary == []
    assert item.title == "Only a title"


def test_a_feed_without_title_is_named_by_its_site() -> None:
    bare = Article(
        id=1, feed_id=9, title="  Headline\nwith   spaces ", url="https://www.site.example/a",
        published_at=None, fetched_at=NOW - timedelta(hours=1), text="x",
    )  # fmt: skip
    item = digest(bare).items[0]
    assert item.source == "site.example"
    assert item.title == "Headline with spaces"
    assert item.published_at == NOW - timedelta(hours=1)


def test_a_thousand_articles_with_many_duplicates() -> None:
    articles = [
        article(
            i,
            f"Story {i // 3} alpha beta gamma delta",
            f"https://x.example/{i // 3}",
            feed=1 + i % 3,
            hours_ago=(i % 20) + 0.5,
        )
        for i in range(1000)
    ]
    result = digest(*articles, limit=10)
    assert result.total == 334
    assert all(item.source.count(",") == 2 for item in result.items)


def test_old_items_left_out_are_named_by_their_source_largest_first() -> None:
    shown = [article(1, "Kept old one", feed=1), article(2, "Other kept one", feed=2)]
    result = build_digest(shown, since=SINCE, until=NOW, limit=10, older={2: 5, 1: 9990})
    assert result.older == (("Reuters", 9990), ("BBC News", 5))
    assert len(result.items) == 2
    assert digest(*shown).older == ()

"""Rendering: digests, article cards and search results as Telegram HTML, and plain text."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from news.models import Article, Digest, DigestItem, SearchHit
from news.render import (
    format_when,
    render_article,
    render_html,
    render_search_results,
    render_text,
)
from tests.news.tg_check import LIMIT, assert_sendable, telegram_parse, utf16, visible

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=1)


def item(n: int, **changes: Any) -> DigestItem:
    base = DigestItem(
        article_id=n,
        title=f"Story number {n}",
        source="Reuters",
        url=f"https://news.example/{n}",
        published_at=NOW - timedelta(hours=1),
        summary=["First sentence of the story.", "Second sentence of the story."],
    )
    return replace(base, **changes)


def make_digest(*items: DigestItem, total: int | None = None) -> Digest:
    return Digest(
        since=SINCE, until=NOW, items=list(items), total=len(items) if total is None else total
    )


EVIL_TITLES = [
    "<script>alert('x')</script>",
    "Tom & Jerry <b>bold</b> &amp; \"quoted\" 'single'",
    '</a></b><a href="javascript:alert(1)">click</a>',
    "Ampersand at end &",
    "&lt;already escaped&gt; &#60;numeric&#62; &nbsp;",
    "Controls \x00\x1b[31m red \x07 bell",
]


# --- render_html ----------------------------------------------------------------------------


@pytest.mark.parametrize("title", EVIL_TITLES)
def test_every_feed_string_is_escaped(title: str) -> None:
    evil = item(1, title=title, source=title, summary=[title, "Then <i>more</i> & more."])
    for message in [*render_html(make_digest(evil)), render_article(_article(title))]:
        assert_sendable(message)
        shown = visible(message)
        clean = " ".join(re.sub(r"[\x00-\x08\x0b-\x1f]", "", title).split())
        assert clean in shown
        assert "<script" not in message
        assert "javascript:" not in telegram_parse(message).links


def test_a_javascript_link_becomes_plain_text() -> None:
    messages = render_html(make_digest(item(1, url="javascript:alert(document.cookie)")))
    assert telegram_parse(messages[0]).links == []
    assert "Story number 1" in visible(messages[0])
    assert "Read more" not in visible(messages[0])


def test_a_url_with_quotes_stays_inside_its_attribute() -> None:
    url = 'https://e.example/"onmouseover="alert(1)'
    message = render_html(make_digest(item(1, url=url)))[0]
    assert telegram_parse(message).links == [url, url]


def test_the_digest_shows_header_title_source_date_summary_and_link() -> None:
    messages = render_html(
        make_digest(item(1, source="Reuters, BBC News"), total=3), tz="Europe/Berlin"
    )
    assert len(messages) == 1
    message = messages[0]
    assert_sendable(message)
    assert message.startswith("<b>📰 Your digest</b> · 3 stories since yesterday 09:00 · top 1")
    shown = visible(message)
    assert "Story number 1" in shown
    assert "Reuters, BBC News · 25 Nov, 08:00" in shown
    assert "First sentence of the story. Second sentence of the story." in shown
    assert "Read more" in shown
    assert telegram_parse(message).links == ["https://news.example/1"] * 2


def test_an_empty_digest_renders_no_message() -> None:
    assert render_html(make_digest()) == []


def _card(entry: DigestItem) -> str:
    """Return one item's card as the digest renders it (the part after the header)."""
    return render_html(make_digest(entry), header="H")[0].removeprefix("H\n\n")


def test_sixty_long_articles_split_only_between_articles() -> None:
    items = [
        item(
            n,
            title=f"Long story {n} " + "headline words " * 15,
            summary=[f"Sentence {k} of story {n} " + "with many words " * 12 for k in range(3)],
            url=f"https://news.example/{n}/" + "path/" * 30,
        )
        for n in range(60)
    ]
    messages = render_html(make_digest(*items))
    assert len(messages) > 10
    cards = [_card(entry) for entry in items]
    header = messages[0].split("\n\n", 1)[0]
    assert header.startswith("<b>📰 Your digest</b> · 60 stories")
    assert "\n\n".join(messages) == "\n\n".join([header, *cards])
    for message in messages:
        assert_sendable(message)
    # Each message holds whole cards: it ends where a card ends.
    assert all(any(m.endswith(card) for card in cards) for m in messages)
    assert sum("📰" in m for m in messages) == 1


def test_one_enormous_article_still_fits_one_message() -> None:
    huge = item(
        1,
        title="T&" * 6000,
        source="S<" * 500,
        summary=["Sentence & more <stuff>. " * 400] * 3,
        url="https://e.example/" + "path/" * 400,
    )
    messages = render_html(make_digest(huge, item(2)))
    for message in messages:
        assert_sendable(message)
    assert len(messages) == 2
    assert "Story number 2" in visible(messages[1])


def test_astral_characters_are_counted_as_telegram_counts_them() -> None:
    emoji = "🚀🌍🎉𝔘𝔫𝔦𝔠𝔬𝔡𝔢"
    items = [item(n, title=emoji * 10, summary=[emoji * 80, emoji * 80]) for n in range(20)]
    messages = render_html(make_digest(*items))
    for message in messages:
        assert_sendable(message)
    # Counted in code points, two messages' worth would have fitted in one.
    assert len(visible(messages[0])) < LIMIT < utf16(visible(messages[0])) + 3000


def test_a_custom_header_opens_only_the_first_message() -> None:
    items = [item(n, summary=["word " * 150]) for n in range(30)]
    messages = render_html(make_digest(*items), header="<b>📰 Your news since 08:00</b>")
    assert messages[0].startswith("<b>📰 Your news since 08:00</b>\n\n")
    assert all("Your news" not in m for m in messages[1:])


def _article(title: str = "Title", **changes: Any) -> Article:
    base = Article(
        id=1,
        feed_id=1,
        title=title,
        url="https://news.example/1",
        published_at=NOW - timedelta(hours=2),
        fetched_at=NOW,
        text="The opening sentence. The second one. The third one.",
        summary=None,
        feed_title="Reuters",
    )
    return replace(base, **changes)


def test_an_article_card_without_summary_shows_the_opening_text() -> None:
    card = render_article(_article(), tz="America/New_York")
    assert_sendable(card)
    shown = visible(card)
    assert "The opening sentence. The second one." in shown
    assert "third" not in shown
    assert "Reuters · 25 Nov, 01:00" in shown


# --- search results -------------------------------------------------------------------------


def hit(n: int, snippet: str, **changes: Any) -> SearchHit:
    article = _article(**{"title": f"Result {n}", "id": n, **changes})
    return SearchHit(article=article, snippet=snippet, rank=n)


def test_search_results_are_numbered_with_matches_in_bold() -> None:
    hits = [hit(6, "the \x02climate\x03 summit <script> & \x02deal\x03 …"), hit(7, "plain")]
    message = render_search_results(hits, query="climate deal", page=2, per_page=5, has_more=True)
    assert_sendable(message)
    assert message.startswith("🔎 <b>Results for “climate deal”</b> · page 2")
    assert "the <b>climate</b> summit &lt;script&gt; &amp; <b>deal</b> …" in message
    shown = visible(message)
    assert "6. Result 6" in shown
    assert "7. Result 7" in shown
    assert "Reuters · 25 Nov, 06:00" in shown


def test_broken_snippet_markers_still_give_valid_html() -> None:
    for snippet in ["\x02open only", "close only\x03", "\x03\x02\x02x\x03\x03", "\x02\x03", ""]:
        message = render_search_results(
            [hit(1, snippet)], query="x", page=1, per_page=5, has_more=False
        )
        assert_sendable(message)


def test_no_results_and_a_huge_query_give_a_short_clear_message() -> None:
    query = "<b>" + '🔎 (a OR b) "c" -d * 🙂 שלום ' * 200
    first = render_search_results([], query=query, page=1, per_page=5, has_more=False)
    later = render_search_results([], query=query, page=3, per_page=5, has_more=False)
    assert_sendable(first)
    assert_sendable(later)
    assert visible(first).startswith("🔎 Nothing found for “<b>🔎 (a OR b)")
    assert len(first) < 200
    assert visible(later).startswith("🔎 No more results")


def test_many_huge_results_still_fit_one_message() -> None:
    hits = [
        hit(n, "\x02match\x03 & " * 500, title="Title & " * 200, url="https://e/?" + "q&" * 900)
        for n in range(1, 11)
    ]
    message = render_search_results(hits, query="match", page=1, per_page=10, has_more=True)
    assert_sendable(message)
    assert all(f"{n}. " in visible(message) for n in range(1, 11))


def test_a_page_number_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="page"):
        render_search_results([], query="x", page=0, per_page=5, has_more=False)


# --- dates and plain text -------------------------------------------------------------------


def test_format_when_shows_the_readers_local_time() -> None:
    moment = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    assert format_when(moment, tz="UTC", now=NOW) == "25 Nov, 08:00"
    assert format_when(moment, tz="Asia/Tokyo", now=NOW) == "25 Nov, 17:00"
    assert format_when(moment, tz="America/Los_Angeles", now=NOW) == "25 Nov, 00:00"
    assert format_when(moment - timedelta(days=400), tz="UTC", now=NOW) == "21 Oct 2025, 08:00"
    assert format_when(None, tz="UTC") == ""


def test_an_unknown_zone_falls_back_to_utc() -> None:
    assert format_when(NOW, tz="Mars/Olympus", now=NOW) == "25 Nov, 08:00"


def test_text_digest_shows_every_part_wrapped() -> None:
    entry = item(
        1,
        title="A headline with \x1b[31mANSI\x1b[0m",
        source="Reuters, BBC News",
        summary=["A long first sentence " + "with words " * 20 + "ends.", "Second sentence."],
    )
    text = render_text(make_digest(entry, item(2)), tz="UTC")
    assert text.startswith("Your digest: 2 stories since 24 Nov, 08:00 (UTC)\n")
    assert "1. A headline with [31mANSI[0m" in text
    assert "\x1b" not in text
    assert "   Reuters, BBC News · 25 Nov, 07:00" in text
    assert "A long first sentence with words" in text
    assert "Second sentence." in text
    assert "   https://news.example/1" in text
    assert "2. Story number 2" in text
    assert all(len(line) <= 88 for line in text.splitlines())


def test_text_of_an_empty_digest_says_nothing_is_new() -> None:
    assert render_text(make_digest()) == "Nothing new since 24 Nov, 08:00."


# --- old items left out (an archive dump) -------------------------------------------------


def test_old_items_left_out_get_one_line_per_source_escaped_and_counted() -> None:
    digest = replace(make_digest(item(1)), older=(("Tom & <Jerry>", 9990), ("Wire", 1)))
    [message] = render_html(digest)
    assert_sendable(message)
    assert message.endswith(
        "\n\nand 9,990 older items from Tom &amp; &lt;Jerry&gt; are in /search"
        "\nand 1 older item from Wire is in /search"
    )
    text = render_text(digest)
    assert "and 9,990 older items from Tom & <Jerry> are in newsbot search\n" in text
    assert "and 1 older item from Wire is in newsbot search\n" in text


def test_a_long_summary_folds_into_an_expandable_quote_and_a_short_one_does_not() -> None:
    long = item(1, summary=["A sentence that goes on and on about the story & more."] * 8)
    short = item(2)
    [message] = render_html(make_digest(long, short))
    assert_sendable(message)
    assert message.count("<blockquote expandable>") == 1
    quoted = message.split("<blockquote expandable>")[1].split("</blockquote>")[0]
    assert "goes on and on" in quoted
    assert "First sentence of the story." not in quoted
    # A single article card (search, alerts) shows its summary as it is.
    assert "blockquote" not in render_article(_article("Long", summary="x " * 400))


def test_filtered_stories_are_counted_in_the_last_line() -> None:
    digest = replace(make_digest(item(1)), filtered=3)
    assert (
        visible(render_html(digest)[-1]).splitlines()[-1] == "🧹 3 stories filtered out (/filter)"
    )

"""news.tghtml: escaping, links, Telegram's length and cutting HTML into messages."""

from __future__ import annotations

import random
import re

import pytest

from news.tghtml import cut_block, escape, link, split_html, visible_length
from tests.news.tg_check import assert_sendable, telegram_parse, utf16, visible


def test_escape_keeps_the_text_and_only_what_telegram_needs() -> None:
    assert escape("a < b & c > d \"q\" 'x'") == "a &lt; b &amp; c &gt; d \"q\" 'x'"
    assert escape("bell\x07 nul\x00 tab\t newline\n") == "bell nul tab\t newline\n"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "ftp://files.example/x",
        "https://",
        "/relative/path",
        "https://exa mple.com/space",
        "",
        None,
    ],
)
def test_unsafe_urls_become_plain_text(url: str | None) -> None:
    out = link(url, "Title <x>")
    assert out == "Title &lt;x&gt;"


def test_safe_urls_are_escaped_inside_the_attribute() -> None:
    url = "https://e.example/a?x=1&y=\"2\"&z='3'><script>"
    out = link(url, "Read")
    parser = telegram_parse(out)
    assert parser.links == [url]
    assert visible(out) == "Read"
    assert link("tg://user?id=42", "me").startswith('<a href="tg://user?id=42">')


def test_visible_length_counts_utf16_units_after_parsing() -> None:
    assert visible_length("<b>a &amp; b</b>") == 5
    assert visible_length("😀") == 2  # outside the BMP: a surrogate pair
    assert visible_length("&#128512;") == 2
    assert visible_length("é€") == 2
    assert visible_length('<a href="https://x.example/very/long">x</a>') == 1


def test_split_counts_emoji_as_two_units() -> None:
    block = "😀" * 1500  # 1,500 code points, 3,000 UTF-16 units
    messages = split_html([block, block])
    assert messages == [block, block]


def test_split_packs_blocks_and_breaks_only_between_them() -> None:
    blocks = [f"<b>{i}</b> " + "x" * 900 for i in range(10)]
    messages = split_html(blocks)
    assert "\n\n".join(messages) == "\n\n".join(blocks)
    assert [m.count("<b>") for m in messages] == [4, 4, 2]
    assert split_html([]) == []
    assert split_html(["  ", "<b></b>"]) == []


def test_an_oversized_block_is_cut_between_tags_and_entities() -> None:
    block = (
        '<blockquote expandable><i>Quote with <a href="https://e.example/?a=1&amp;b=2">a '
        "link</a> " + "a &amp; b &lt;c&gt; 😀 " * 400 + "</i></blockquote>"
    )
    pieces = cut_block(block, limit=500)
    assert len(pieces) > 5
    for piece in pieces:
        assert utf16(piece) <= 500
        telegram_parse(piece)
        assert piece.startswith("<blockquote expandable><i>")
        assert piece.endswith("</i></blockquote>")
    joined = " ".join(visible(piece) for piece in pieces)
    assert joined.split() == visible(block).split()


def test_a_word_longer_than_a_message_is_still_cut() -> None:
    pieces = split_html(["<b>" + "y" * 9000 + "</b>"])
    assert len(pieces) == 3
    for piece in pieces:
        assert_sendable(piece)
    assert "".join(visible(p) for p in pieces) == "y" * 9000


def _random_block(rng: random.Random, depth: int = 0) -> str:
    words = ["word", "&amp;", "&lt;", "😀", "naïve", "\n", "x" * rng.randint(1, 60), "é"]
    parts = []
    for _ in range(rng.randint(1, 12)):
        if depth < 3 and rng.random() < 0.3:
            tag = rng.choice(["b", "i", "u", "s", "tg-spoiler", "a", "code"])
            inner = _random_block(rng, depth + 1) if tag != "code" else "code &amp; text"
            if tag == "a":
                inner = re.sub(r"</?a[^>]*>", "", inner)  # Telegram forbids nested links
                parts.append(f'<a href="https://r.example/?q=1&amp;p=2">{inner}</a>')
            else:
                parts.append(f"<{tag}>{inner}</{tag}>")
        else:
            parts.append(" ".join(rng.choice(words) for _ in range(rng.randint(1, 30))))
    return " ".join(parts)


@pytest.mark.parametrize("seed", range(30))
def test_cutting_random_markup_keeps_it_valid_and_complete(seed: int) -> None:
    rng = random.Random(seed)
    block = "".join(_random_block(rng) for _ in range(rng.randint(1, 8)))
    limit = rng.randint(200, 700)
    telegram_parse(block)
    pieces = cut_block(block, limit=limit)
    for piece in pieces:
        assert utf16(piece) <= limit
        telegram_parse(piece)
    # Cuts fall between words when one is near, else anywhere outside tags and entities.
    joined = "".join(visible(piece) for piece in pieces)
    assert "".join(joined.split()) == "".join(visible(block).split())


def test_a_cut_leaves_no_empty_tags_behind() -> None:
    # The bold text fills the first piece exactly; only spaces are left of it after the cut.
    block = "<b>" + "x" * 293 + "   </b> tail <i>" + "more " * 300 + "</i>"
    pieces = cut_block(block, limit=300)
    assert pieces[1].startswith(" tail")
    for piece in pieces:
        assert "<b></b>" not in piece
        assert "<i></i>" not in piece
        assert_sendable(piece)

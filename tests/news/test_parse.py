"""parse_feed on the seed feeds, odd bytes, JSON Feed, and a sample of real-world test feeds."""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pytest

from news.errors import ParseError
from news.models import ParsedFeed
from news.parse import UNTITLED, EntryIdentity, entry_hash, entry_hashes, parse_feed

ROOT = Path(__file__).resolve().parents[2]
SEED_FEEDS = ROOT / "seeds" / "feeds"
SEED_ARTICLES = ROOT / "seeds" / "articles"
SAMPLE = ROOT / "tests" / "data" / "feeds"
BASE = "http://127.0.0.1:8000/feeds/"
TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")
ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
HEADER = re.compile(rb"^\s*Header:\s*Content-type:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)


def parse_seed(name: str, base: str = BASE) -> ParsedFeed:
    return parse_feed((SEED_FEEDS / name).read_bytes(), url=base + name)


def assert_clean(feed: ParsedFeed) -> None:
    """What every parsed entry promises: identity, a title, UTC dates, text without markup."""
    for entry in feed.entries:
        assert re.fullmatch(r"[0-9a-f]{64}", entry.entry_hash)
        assert entry.title.strip()
        assert "\n" not in entry.title
        if entry.published_at is not None:
            assert entry.published_at.tzinfo is UTC
        for value in (entry.title, entry.text, entry.url or "", entry.guid or ""):
            assert "\x00" not in value


SEEDS = [
    ("rss2.xml", "Example Daily — World & Business", 5),
    ("atom.xml", "Example Tech Review", 4),
    ("rdf.xml", "Example Science Notes", 3),
    ("cp1251.xml", "Пример.Новости — главное за день", 3),
    ("dup_guid.xml", "Example Sport Desk", 4),
    ("broken.xml", "Example Markets Wire", 3),
]


@pytest.mark.parametrize(("name", "title", "count"), SEEDS, ids=[s[0] for s in SEEDS])
def test_seed_feed_parses_into_clean_entries(name: str, title: str, count: int) -> None:
    feed = parse_seed(name)

    assert feed.title == title
    assert len(feed.entries) == count
    assert_clean(feed)
    for entry in feed.entries:
        assert entry.text
        assert not TAG.search(entry.text), entry.text
        assert not ENTITY.search(entry.text + entry.title)
        assert entry.published_at is not None
        assert datetime(2026, 11, 20, tzinfo=UTC) <= entry.published_at
        assert entry.published_at < datetime(2026, 11, 26, tzinfo=UTC)
    assert len({e.entry_hash for e in feed.entries}) == count


@pytest.mark.parametrize("name", [s[0] for s in SEEDS])
def test_identity_is_stable_across_polls_and_moves(name: str) -> None:
    first = parse_seed(name)
    again = parse_seed(name)
    moved = parse_seed(name, base=SEED_FEEDS.as_uri() + "/")

    hashes = [e.entry_hash for e in first.entries]
    assert hashes == [e.entry_hash for e in again.entries]
    # Every seed item has a GUID, so serving the feed from another URL keeps its identity.
    assert hashes == [e.entry_hash for e in moved.entries]


def test_identity_does_not_depend_on_entry_order() -> None:
    items = [
        EntryIdentity(guid="same", link=f"https://ex.com/{i % 2}", title=f"t{i}", text="x")
        for i in range(4)
    ]

    forward = entry_hashes(items)
    backward = entry_hashes(items[::-1])

    assert forward == backward[::-1]
    assert len(set(forward)) == 4


def test_repeated_guid_gives_distinct_hashes_that_survive_an_item_leaving() -> None:
    raw = (SEED_FEEDS / "dup_guid.xml").read_text(encoding="utf-8")
    feed = parse_feed(raw.encode(), url=BASE + "dup_guid.xml")
    # The next poll: the oldest story has rolled off the feed.
    first_item = re.search(r"\s*<item>.*?</item>", raw, re.DOTALL)
    assert first_item is not None
    later = parse_feed(raw.replace(first_item.group(0), "", 1).encode(), url=BASE + "x.xml")

    assert {e.guid for e in feed.entries} == {"sport-desk-latest"}
    assert len({e.entry_hash for e in feed.entries}) == 4
    # The two live-blog items share GUID and link; their titles tell them apart.
    assert feed.entries[2].url == feed.entries[3].url
    assert [e.entry_hash for e in later.entries] == [e.entry_hash for e in feed.entries[1:]]


def test_guid_equal_to_the_site_link_is_not_an_identity() -> None:
    items = "".join(
        f"<item><title>Story {i}</title><link>https://ex.com/{i}</link>"
        f"<guid>https://ex.com/</guid></item>"
        for i in range(2)
    )
    body = f"<rss version='2.0'><channel><title>T</title><link>https://ex.com/</link>{items}"
    one = parse_feed((body + "</channel></rss>").encode(), url="https://ex.com/feed")
    # A one-item document cannot reveal the repetition; the channel-level GUID still can.
    single = parse_feed(
        (body.replace(items, items.split("</item>")[1] + "</item>") + "</channel></rss>").encode(),
        url="https://ex.com/feed",
    )

    assert len({e.entry_hash for e in one.entries}) == 2
    assert single.entries[0].entry_hash == one.entries[1].entry_hash


def test_entry_hash_prefers_guid_then_link_then_content() -> None:
    by_guid = entry_hash(guid="g", link="https://a", title="one", text="x")
    assert by_guid == entry_hash(guid="g", link="https://b", title="two", text="y")
    by_link = entry_hash(guid=None, link="https://a", title="one", text="x")
    assert by_link == entry_hash(guid=None, link="https://a", title="two", text="y")
    by_content = entry_hash(guid=None, link=None, title="one", text="x")
    assert by_content != entry_hash(guid=None, link=None, title="one", text="y")
    assert len({by_guid, by_link, by_content}) == 3


def test_dates_are_normalized_to_utc() -> None:
    rss = parse_seed("rss2.xml").entries
    atom = parse_seed("atom.xml").entries
    russian = parse_seed("cp1251.xml").entries

    assert rss[0].published_at == datetime(2026, 11, 24, 14, 15, tzinfo=UTC)  # -0500
    assert rss[4].published_at == datetime(2026, 11, 21, 17, 20, tzinfo=UTC)  # +0100
    assert atom[0].published_at == datetime(2026, 11, 25, 6, 30, tzinfo=UTC)  # +01:00
    assert russian[0].published_at == datetime(2026, 11, 20, 10, 30, tzinfo=UTC)  # +0300


def test_absurd_or_missing_dates_become_none() -> None:
    body = (
        "<rss version='2.0'><channel><title>T</title>"
        "<item><title>a</title><pubDate>Mon, 01 Jan 0001 00:00:00 GMT</pubDate></item>"
        "<item><title>b</title><pubDate>Fri, 31 Dec 9999 23:59:59 GMT</pubDate></item>"
        "<item><title>c</title></item></channel></rss>"
    )

    feed = parse_feed(body.encode(), url="https://ex.com/feed")

    assert [e.published_at for e in feed.entries] == [None, None, None]


def test_relative_links_resolve_against_the_feed_url() -> None:
    served = parse_seed("rss2.xml")
    on_disk = parse_seed("rss2.xml", base=SEED_FEEDS.as_uri() + "/")
    atom = parse_seed("atom.xml")

    assert served.entries[1].url == "http://127.0.0.1:8000/articles/quantum-chip.html"
    assert served.site_url == "https://example.com/"
    assert atom.entries[1].url == served.entries[1].url  # one story, two feeds, one link
    for entry in on_disk.entries[1:4]:
        assert entry.url is not None
        assert entry.url.startswith("file:")
        path = Path(url2pathname(urlsplit(entry.url).path))
        assert path.parent == SEED_ARTICLES
        assert path.is_file()


def test_links_with_unsafe_schemes_are_dropped() -> None:
    body = (
        "<rss version='2.0'><channel><title>T</title>"
        "<item><title>a</title><link>javascript:alert(1)</link></item>"
        "<item><title>b</title><link>file:///etc/passwd</link></item></channel></rss>"
    )

    feed = parse_feed(body.encode(), url="https://ex.com/feed")

    assert [e.url for e in feed.entries] == [None, None]


def test_html_is_reduced_to_readable_text() -> None:
    atom = parse_seed("atom.xml").entries
    rss = parse_seed("rss2.xml").entries

    assert atom[0].title == "Why small language models are winning on phones"
    assert atom[0].text.startswith("This year’s flagship phones all ship")
    assert "trackRead" not in atom[0].text  # the <script> is gone
    assert atom[0].text.count("\n") == 2  # three paragraphs, one per line
    assert atom[2].text.startswith("Kestrel, an independent browser engine")  # xhtml content
    assert rss[3].text.endswith("a record that had stood since 2019. Full report »")
    assert "“It is not everything we wanted, but it is a fair result,”" in rss[4].text


def test_seed_article_body_is_kept_line_for_line() -> None:
    seed = (SEED_ARTICLES / "000_3db6b54fe26f4393.txt").read_text(encoding="utf-8")
    title, *body = [line for line in seed.split("\n") if line.strip()]

    entry = parse_seed("rss2.xml").entries[0]

    assert entry.title == title
    assert entry.text == "\n".join(body)
    assert entry.author == "India News Bull"


def test_windows_1251_feed_is_decoded() -> None:
    feed = parse_seed("cp1251.xml")

    assert feed.language == "ru"
    assert feed.ttl_minutes == 60
    assert feed.entries[2].title == "Хоккей: «Ак Барс» одержал седьмую победу подряд"
    assert feed.entries[0].author == "Ольга Петрова"
    assert "инфляция замедляется" in feed.entries[0].text


def test_channel_fields() -> None:
    feed = parse_seed("rss2.xml")

    assert (feed.ttl_minutes, feed.language) == (30, "en-us")
    assert parse_seed("rdf.xml").language == "en-gb"


def test_malformed_feed_keeps_what_it_can() -> None:
    feed = parse_seed("broken.xml")

    assert [e.title for e in feed.entries] == [
        "Hartley & Sons agrees to buy rival toolmaker for £640m",
        "Copper hits two-year high on supply worries",
        "Airline orders 60 narrow-body jets in its biggest ever deal",
    ]


def test_missing_titles_are_derived_from_the_text() -> None:
    body = (
        "<rss version='2.0'><channel><title>T</title>"
        "<item><description>&lt;p&gt;One two three four five six seven eight nine ten eleven "
        "twelve thirteen fourteen.&lt;/p&gt;</description><guid>1</guid></item>"
        "<item><guid>2</guid></item></channel></rss>"
    )

    entries = parse_feed(body.encode(), url="https://ex.com/feed").entries

    assert entries[0].title == "One two three four five six seven eight nine ten eleven twelve…"
    assert entries[1].title == UNTITLED


def test_a_huge_title_is_clipped_at_a_word() -> None:
    words = " ".join(f"word{i}" for i in range(5000))
    body = (
        "<rss version='2.0'><channel><title>T</title>"
        f"<item><title>{words}</title><guid>1</guid></item></channel></rss>"
    )

    [entry] = parse_feed(body.encode(), url="https://ex.com/feed").entries

    assert len(entry.title) <= 301
    assert entry.title.endswith("…")
    assert words.startswith(entry.title.removesuffix("…") + " ")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ((SEED_FEEDS / "not_a_feed.html").read_bytes(), "looks like an HTML page"),
        (b"", "empty document"),
        (b"  \r\n ", "empty document"),
        (b"\x00\x01\x02 binary junk \xff\xfe", "not a feed"),
        (b"<rss version='2.0'><channel></channel></rss>", "no entries and no feed title"),
        (b'{"title": "an API answer"}', "JSON, but not a JSON Feed"),
        (b'{"version": "https://jsonfeed.org/version/1.1", ', "invalid JSON"),
        (b"\x1f\x8b\x08\x00garbage", "corrupt gzip"),
    ],
    ids=["html", "empty", "blank", "binary", "empty-rss", "json", "bad-json", "bad-gzip"],
)
def test_not_a_feed_raises_parse_error(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message) as caught:
        parse_feed(body, url="https://ex.com/feed")

    assert str(caught.value).startswith("parse: ")


def test_gzip_and_bomless_utf16_bodies_are_read() -> None:
    source = (SEED_FEEDS / "atom.xml").read_text(encoding="utf-8")
    source = source.replace('<?xml version="1.0" encoding="utf-8"?>\n', "")
    plain = parse_feed(source.encode(), url=BASE + "atom.xml")

    for body in (
        gzip.compress(source.encode()),
        source.encode("utf-16-le"),
        source.encode("utf-16-be"),
    ):
        feed = parse_feed(body, url=BASE + "atom.xml")
        assert feed == plain


def test_json_feed() -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "JSON &amp; friends",
        "home_page_url": "https://ex.com/",
        "language": "en",
        "authors": [{"name": "Site author"}],
        "items": [
            {
                "id": 1,
                "url": "/posts/1",
                "title": "First <em>post</em>",
                "content_html": "<p>Hello &amp; welcome.</p><script>x()</script><p>Second.</p>",
                "date_published": "2026-11-24T10:00:00+02:00",
            },
            {
                "id": "2",
                "content_text": "No title here, only text.",
                "date_modified": "2026-11-23T08:00:00Z",
                "authors": [{"name": "Guest"}],
            },
        ],
    }

    feed = parse_feed(json.dumps(doc).encode(), url="https://ex.com/feed.json")

    assert (feed.title, feed.site_url, feed.language) == (
        "JSON & friends",
        "https://ex.com/",
        "en",
    )
    first, second = feed.entries
    assert first.title == "First post"
    assert first.url == "https://ex.com/posts/1"
    assert first.text == "Hello & welcome.\nSecond."
    assert first.published_at == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert first.author == "Site author"
    assert second.title == "No title here, only text."
    assert second.published_at == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert second.author == "Guest"
    assert first.entry_hash == entry_hash(guid="1", link=None, title="", text="")


def sample_files() -> list[Path]:
    return sorted(
        p
        for p in SAMPLE.rglob("*")
        if p.is_file() and p.parent.name != "LICENSES" and p.name != "README.md"
    )


def test_sample_is_there() -> None:
    assert len(sample_files()) > 150
    assert (SAMPLE / "LICENSES").is_dir()


@pytest.mark.parametrize(
    "path", sample_files(), ids=[str(p.relative_to(SAMPLE)) for p in sample_files()]
)
def test_real_world_feed_parses_or_raises_parse_error(path: Path) -> None:
    body = path.read_bytes()
    header = HEADER.search(body[:2048])
    content_type = header.group(1).decode("latin-1") if header else None

    try:
        feed = parse_feed(body, url=path.as_uri(), content_type=content_type)
    except ParseError as exc:
        error = str(exc)
    else:
        assert feed.entries or feed.title
        assert_clean(feed)
        return
    assert error.startswith("parse: ")


def test_json_feed_sample_is_read() -> None:
    path = SAMPLE / "feedparser" / "tests" / "json" / "example.json"

    feed = parse_feed(path.read_bytes(), url="https://example.org/feed.json")

    assert feed.title == "My Example Feed"
    assert [e.title for e in feed.entries] == ["post 2", "Hello, world!"]

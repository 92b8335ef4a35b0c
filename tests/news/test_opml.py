from pathlib import Path

import pytest

from news.models import Feed
from news.opml import OPMLError, read_opml, write_opml

NESTED = b"""<?xml version="1.0"?>
<opml version="2.0"><head><title>x</title></head><body>
  <outline text="News">
    <outline text="Example" xmlUrl="https://example.com/feed.xml"/>
    <outline text="Local" xmlUrl="feeds/local.xml"/>
  </outline>
  <outline text="Duplicate" xmlUrl="https://example.com/feed.xml"/>
  <outline text="A folder without feeds"/>
</body></opml>"""


def test_reads_nested_outlines_and_resolves_local_paths(tmp_path: Path) -> None:
    feeds = read_opml(NESTED, base=tmp_path)
    assert [f.url for f in feeds] == [
        "https://example.com/feed.xml",
        (tmp_path / "feeds" / "local.xml").resolve().as_uri(),
    ]
    assert feeds[0].title == "Example"


def test_relative_paths_need_a_base() -> None:
    with pytest.raises(OPMLError, match="relative feed path"):
        read_opml(NESTED)


@pytest.mark.parametrize(
    "data",
    [b"", b"not xml at all", b"<rss><channel/></rss>", b'<!DOCTYPE x [<!ENTITY a "b">]><opml/>'],
    ids=["empty", "garbage", "not-opml", "entity-declaration"],
)
def test_bad_files_give_a_clear_error(data: bytes) -> None:
    with pytest.raises(OPMLError, match=r"^opml: "):
        read_opml(data)


def test_export_round_trips() -> None:
    feeds = [
        Feed(id=1, url="https://example.com/a.xml", title="A & B <news>"),
        Feed(id=2, url="https://example.com/b.xml?x=1&y=2"),
    ]
    again = read_opml(write_opml(feeds).encode())
    assert [(f.url, f.title) for f in again] == [
        ("https://example.com/a.xml", "A & B <news>"),
        ("https://example.com/b.xml?x=1&y=2", "https://example.com/b.xml?x=1&y=2"),
    ]

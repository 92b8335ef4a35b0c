"""The `newsbot` command line, run in-process the way a user runs it, against a local server."""

from __future__ import annotations

import asyncio
import io
import json
import re
import sys
from datetime import UTC, datetime, time
from pathlib import Path

import pytest

from bot.cli.main import main
from harness.feedserver import FeedServer
from news.storage.db import open_store
from news.subscriptions import subscribe
from tests.conftest import SEEDS

SEED_STORY = "Trump's Second Putin Summit Plan"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh SQLite database for the command line; 127.0.0.1 allowed (the test server)."""
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("NEWSBOT_ALLOW_PRIVATE_NETWORKS", "true")
    monkeypatch.setenv("NEWSBOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NEWSBOT_READ_TIMEOUT", "3")
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_feeds_add_list_remove(env: Path, feed_server: FeedServer, capsys) -> None:
    url = feed_server.url("/feeds/rss2.xml")
    code, out, _ = run(capsys, "feeds", "add", url)
    assert code == 0
    assert out.startswith("added feed 1")
    code, out, _ = run(capsys, "feeds", "add", url)
    assert (code, out.startswith("already there: feed 1")) == (0, True)
    code, out, _ = run(capsys, "feeds", "list")
    assert url in out
    assert "ID" in out.splitlines()[0]
    assert run(capsys, "feeds", "remove", "1")[0] == 0
    code, _, err = run(capsys, "feeds", "remove", "1")
    assert code == 1
    assert "no feed with id 1" in err
    assert "no feeds yet" in run(capsys, "feeds", "list")[1]


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("/feeds/not_a_feed.html", "not a feed"),
        ("/missing.xml", "HTTP 404"),
        ("ftp://example.com/feed.xml", "cannot add ftp://example.com/feed.xml"),
        ("no/such/file.xml", "no such file"),
    ],
    ids=["html-page", "404", "ftp", "missing-path"],
)
def test_feeds_add_refuses_what_is_not_a_feed(
    env: Path, feed_server: FeedServer, capsys, argument: str, message: str
) -> None:
    target = feed_server.url(argument) if argument.startswith("/") else argument
    code, out, err = run(capsys, "feeds", "add", target)
    assert code == 1
    assert message in err
    assert out == ""
    assert "Traceback" not in err


def test_feeds_add_keeps_its_download_so_the_first_poll_gets_a_304(
    env: Path, feed_server: FeedServer, capsys
) -> None:
    url = feed_server.url("/feeds/atom.xml")
    assert run(capsys, "feeds", "add", url)[0] == 0
    code, out, _ = run(capsys, "poll")
    assert (code, "polled 1 feeds: 0 new articles" in out) == (0, True)
    assert feed_server.count("/feeds/atom.xml") == 2
    assert feed_server.last("/feeds/atom.xml").headers.get("if-none-match")
    code, out, _ = run(capsys, "digest", "--since", "1h")
    assert code == 0
    assert "Kestrel reaches version 1.0" in out  # stored by `feeds add`


def test_local_files_are_accepted_from_the_command_line(env: Path, capsys) -> None:
    path = SEEDS / "feeds" / "atom.xml"
    code, out, _ = run(capsys, "feeds", "add", str(path))
    assert code == 0
    assert path.resolve().as_uri() in out
    code, out, _ = run(capsys, "poll")
    assert code == 0
    assert "polled 1 feeds" in out


def test_import_export_and_poll_then_digest_and_search(env: Path, capsys) -> None:
    code, out, _ = run(capsys, "feeds", "import", str(SEEDS / "feeds" / "sample.opml"))
    assert code == 0
    assert out.startswith("imported ")
    code, out, _ = run(capsys, "feeds", "export")
    assert code == 0
    assert out.startswith("<?xml")
    assert (SEEDS / "feeds" / "rss2.xml").resolve().as_uri() in out

    code, out, _ = run(capsys, "poll")
    assert code == 0
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("polled ")
    assert " new articles, " in summary
    assert " errors" in summary
    # Summarized beside the poll (the summarizer processes), every new article by the end.
    counts = re.search(r": (\d+) new articles, (\d+) summarized", summary)
    assert counts is not None
    assert int(counts[1]) > 0
    assert counts[1] == counts[2]

    code, out, _ = run(capsys, "poll", "--all")
    assert code == 0
    assert ": 0 new articles" in out  # nothing is stored twice

    code, out, _ = run(capsys, "digest", "--since", "1h", "--limit", "30")
    assert code == 0
    assert SEED_STORY in out
    assert "Views: 20" not in out
    assert "Source: https://www.ndtv.com" not in out
    assert "syndicated feed" not in out

    code, out, _ = run(capsys, "search", "Putin", "summit")
    assert code == 0
    assert out.startswith("1. ")
    assert SEED_STORY in out


def test_poll_reports_failed_feeds_one_line_each(
    env: Path, feed_server: FeedServer, capsys
) -> None:
    feed_server.add("/gone.xml", b"", status=410)
    run(capsys, "feeds", "add", "--no-check", feed_server.url("/gone.xml"))
    run(capsys, "feeds", "add", feed_server.url("/feeds/atom.xml"))
    code, out, err = run(capsys, "poll")
    assert code == 0
    assert "polled 2 feeds" in out
    assert "1 errors" in out
    failed = [line for line in err.splitlines() if line.startswith("error: feed")]
    assert len(failed) == 1
    assert "/gone.xml" in failed[0]
    assert "HTTP 410" in failed[0]


@pytest.mark.parametrize(
    "query",
    ['"', "(", "AND OR NOT", "*", "-", ":", "title:x", "🙂", "שלום עולם", "x" * 5000],
    ids=["quote", "paren", "operators", "star", "minus", "colon", "column", "emoji", "rtl", "5k"],
)
def test_search_never_shows_a_traceback(env: Path, capsys, query: str) -> None:
    code, out, err = run(capsys, "search", query)
    assert "Traceback" not in err + out
    assert (code == 0 and out) or (code == 1 and err.startswith("newsbot: "))


@pytest.mark.parametrize(
    "query", ["word " * 20_000, "(x" * 50_000], ids=["100k-words", "100k-one-word"]
)
def test_search_does_not_echo_a_huge_query_back(env: Path, capsys, query: str) -> None:
    code, out, err = run(capsys, "search", query)
    assert code == 0, err
    assert out.startswith("No articles match '")
    assert out.rstrip().endswith("…'.")
    assert len(out + err) < 200


@pytest.mark.parametrize("since", ["yesterday", "-5h", "24x"])
def test_digest_explains_a_bad_window(env: Path, capsys, since: str) -> None:
    code, _, err = run(capsys, "digest", f"--since={since}")
    assert code == 1
    assert "use a duration like 30m, 24h, 7d" in err


def test_digest_with_nothing_new(env: Path, capsys) -> None:
    code, out, _ = run(capsys, "digest")
    assert code == 0
    assert out.startswith("Nothing new since")


def test_extract_a_file(env: Path, capsys) -> None:
    page = sorted((SEEDS / "articles").glob("*.html"))[0]
    expected = page.with_suffix(".expected.txt").read_text().split("\n")[0]
    code, out, _ = run(capsys, "extract", str(page), "--url", "https://example.com/a")
    assert code == 0
    assert expected.strip() in out


def test_extract_and_summarize_missing_files(env: Path, capsys) -> None:
    for command in ("extract", "summarize"):
        code, _, err = run(capsys, command, "/no/such/file")
        assert code == 1
        assert "cannot read /no/such/file" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty: there is no text in it"),
        (b" \n\t\n", "is empty: there is no text in it"),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8,
            "is binary data, not text",
        ),
    ],
    ids=["empty", "blank", "png"],
)
def test_summarize_refuses_what_is_not_text(
    env: Path, capsys, content: bytes, message: str
) -> None:
    path = env / "input.dat"
    path.write_bytes(content)
    code, out, err = run(capsys, "summarize", str(path))
    assert (code, out) == (1, "")
    assert err == f"newsbot: {path} {message}\n"


def test_summarize_reads_an_older_encoding(env: Path, capsys) -> None:
    path = env / "cp1251.txt"
    path.write_bytes("Москва приняла новый бюджет на следующий год.".encode("cp1251"))
    code, out, _ = run(capsys, "summarize", str(path))
    assert code == 0
    assert "бюджет" in out


def test_summarize_the_seed_article(env: Path, capsys) -> None:
    seed = SEEDS / "articles" / "000_3db6b54fe26f4393.txt"
    code, out, _ = run(capsys, "summarize", str(seed), "--sentences", "2")
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 2
    for line in lines:
        assert "Views" not in line
        assert "Source:" not in line
        assert "NDTV" not in line


def test_summarize_jsonl_keeps_order(env: Path, capsys, monkeypatch) -> None:
    text = (SEEDS / "articles" / "000_3db6b54fe26f4393.txt").read_text()
    items = [{"id": "b", "text": text}, {"id": "a", "text": "One short sentence here."}]
    stdin = io.TextIOWrapper(io.BytesIO("\n".join(json.dumps(i) for i in items).encode()))
    monkeypatch.setattr(sys, "stdin", stdin)
    code, out, _ = run(capsys, "summarize", "-", "--jsonl")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in rows] == ["b", "a"]
    assert rows[1]["summary"] == "One short sentence here."
    assert "Putin" in rows[0]["summary"]


def test_summarize_jsonl_bad_line(env: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"id": 1}\n')))
    code, _, err = run(capsys, "summarize", "-", "--jsonl")
    assert code == 1
    assert 'line 1: expected a JSON object with "id" and "text"' in err


def test_bad_settings_name_the_variable(env: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("NEWSBOT_TIMEZONE", "Mars/Olympus")
    code, _, err = run(capsys, "feeds", "list")
    assert code == 2
    assert "NEWSBOT_TIMEZONE" in err
    assert "IANA" in err


def test_demo_prints_a_clean_digest(env: Path, capsys) -> None:
    code, out, _ = run(capsys, "demo")
    assert code == 0
    assert out.startswith("newsbot demo: polled ")
    assert SEED_STORY in out
    for boilerplate in ("Views: 20", "India News Bull", "syndicated feed", "Source: https"):
        assert boilerplate not in out


def test_sources_list_shows_a_chats_own_sources(
    env: Path, feed_server: FeedServer, capsys
) -> None:
    url = feed_server.url("/feeds/rss2.xml")
    assert run(capsys, "feeds", "add", url)[0] == 0
    code, out, _ = run(capsys, "sources", "list", "--chat", "77")
    assert (code, out.strip()) == (0, "chat 77 has no sources")

    async def subscribed() -> None:
        store = await open_store(f"sqlite+aiosqlite:///{env / 'cli.db'}")
        await subscribe(store, 77, chat_type="private", title=None, digest_times=[time(8)],
                        timezone="UTC", max_articles=5, now=datetime.now(UTC))  # fmt: skip
        await store.close()

    asyncio.run(subscribed())
    code, out, _ = run(capsys, "sources", "list", "--chat", "77")
    assert code == 0
    header, row = out.strip().splitlines()
    assert header.split()[:5] == ["ID", "TITLE", "LAST", "OK", "WEEK"]
    assert row.startswith("1 ")
    assert row.endswith(url)

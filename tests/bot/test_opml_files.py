"""OPML as files through the real bot: /export sends a document, a sent document imports.

On SQLite and PostgreSQL: a round trip (export, import into another chat, same sources), and
every bad file: broken XML, 100,000 outlines, binary bytes named .opml, 30 MB, entities, the
same file twice at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.telegram.app import NewsApp
from harness.botapi import FakeBotAPI
from harness.feedserver import FeedServer
from news import words
from news.settings import Settings
from news.storage import sources as source_store
from news.storage.db import Store
from news.storage.tables import chat_sources, feeds
from tests.bot.conftest import USER, Clock, bot_settings, running_bot, say
from tests.bot.test_sources import rss

OTHER = 503


@pytest.fixture
async def any_bot(
    settings: Settings, any_store: Store, bot_api: FakeBotAPI, clock: Clock
) -> AsyncIterator[NewsApp]:
    async with running_bot(bot_settings(settings, bot_api), any_store, bot_api, clock) as app:
        yield app


def opml(*urls: str, nested: bool = True) -> bytes:
    lines = "".join(f'<outline type="rss" text="F{n}" xmlUrl="{u}"/>' for n, u in enumerate(urls))
    body = f'<outline text="Folder">{lines}</outline>' if nested else lines
    return (
        f'<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head>'
        f"<body>{body}</body></opml>"
    ).encode()


async def send_file(
    api: FakeBotAPI, chat_id: int, name: str, data: bytes, **kw: object
) -> list[str]:
    before = len(api.sent(chat_id))
    api.send_document(chat_id, name, data, **kw)  # type: ignore[arg-type]
    messages = await api.wait_sent(chat_id, before + 1)
    return [m.text for m in messages[before:]]


async def titles(store: Store, chat_id: int) -> list[str]:
    return sorted(s.feed.url for s in await source_store.list_sources(store, chat_id))


async def test_export_then_import_into_another_chat_gives_the_same_sources(
    any_bot: NewsApp, bot_api: FakeBotAPI, any_store: Store, feed_server: FeedServer
) -> None:
    urls = [feed_server.add(f"/o{n}.xml", rss(f"O{n}", [f"o{n}"])) for n in range(3)]
    for url in urls:
        await say(bot_api, USER, f"/add {url}")
    [caption] = await say(bot_api, USER, "/export")
    assert caption == words.EXPORT_CAPTION
    found = bot_api.document(USER)
    assert found is not None
    name, data = found
    assert name == "newsbot-sources.opml"
    [summary] = await send_file(bot_api, OTHER, name, data)
    assert summary.startswith("📥 Imported: added 3, already there 0, refused 0.")
    assert await titles(any_store, OTHER) == await titles(any_store, USER) == sorted(urls)
    async with any_store.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(feeds))).scalar_one() == 3
    [again] = await send_file(bot_api, OTHER, "again.xml", data)
    assert again.startswith("📥 Imported: added 0, already there 3, refused 0.")


async def test_each_refused_line_says_why(bot: NewsApp, bot_api: FakeBotAPI, store: Store) -> None:
    data = opml("https://news.example/feed", "file:///etc/passwd", "ftp://x.example/f",
                "relative/feed.xml", "https://news.example/feed/")  # fmt: skip
    [summary] = await send_file(bot_api, USER, "mine.opml", data)
    lines = summary.splitlines()
    assert lines[0] == "📥 Imported: added 1, already there 0, refused 3."
    assert lines[1].startswith("• file:///etc/passwd: local files are not allowed here")
    assert lines[2].startswith("• ftp://x.example/f: unsupported URL scheme 'ftp'")
    assert lines[3].startswith("• relative/feed.xml: local files are not allowed here")
    assert await titles(store, USER) == ["https://news.example/feed"]


async def test_private_addresses_in_a_file_are_refused(
    settings: Settings, store: Store, bot_api: FakeBotAPI, clock: Clock
) -> None:
    strict = bot_settings(settings, bot_api, allow_private_networks=False)
    async with running_bot(strict, store, bot_api, clock):
        data = opml("http://127.0.0.1/feed", "http://[::ffff:10.0.0.1]/f", "http://169.254.1.1/")
        [summary] = await send_file(bot_api, USER, "p.opml", data)
    assert summary.startswith("📥 Imported: added 0, already there 0, refused 3.")
    assert summary.count(words.PRIVATE_ADDRESS) == 3


@pytest.mark.parametrize(
    ("name", "data", "size", "expected"),
    [
        ("broken.opml", b"<opml><body><outline", None, "⚠️ I can't read that OPML file: "),
        ("binary.opml", bytes(range(256)) * 40, None, "⚠️ I can't read that OPML file: "),
        ("huge.opml", b"<opml/>", 30 * 1024 * 1024, "⚠️ That file is too big: "),
        (
            "laughs.opml",
            b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><opml><body>'
            b'<outline text="&b;" xmlUrl="https://x.example/f"/></body></opml>',
            None,
            "⚠️ I can't read that OPML file: ",
        ),
        (
            "xxe.opml",
            b'<?xml version="1.0"?><!DOCTYPE o [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<opml><body><outline text="&x;" xmlUrl="https://x.example/f"/></body></opml>',
            None,
            "⚠️ I can't read that OPML file: ",
        ),
    ],
    ids=["broken-xml", "binary", "30-mb", "entity-expansion", "xxe"],
)
async def test_bad_files_import_nothing(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store, name: str, data: bytes, size: int | None,
    expected: str,
) -> None:  # fmt: skip
    [answer] = await send_file(bot_api, USER, name, data, size=size)
    assert answer.startswith(expected)
    if size is not None:
        assert bot_api.calls("getFile") == []  # refused before downloading
    assert await titles(store, USER) == []


async def test_too_many_outlines(bot: NewsApp, bot_api: FakeBotAPI, store: Store) -> None:
    many = opml(*(f"https://f{n}.example/rss" for n in range(100_000)))
    # 100,000 outlines do not fit the size limit; 5,001 small ones do, and are refused too.
    [big] = await send_file(bot_api, USER, "many.opml", many)
    assert big.startswith("⚠️ That file is too big: ")
    some = opml(*(f"https://f{n}.example/" for n in range(5001)), nested=False)
    [counted] = await send_file(bot_api, USER, "some.opml", some)
    assert (
        counted == "⚠️ I can't read that OPML file: more than 5,000 outlines. Nothing was imported."
    )
    assert await titles(store, USER) == []


async def test_the_same_file_twice_at_once_adds_each_feed_once(
    bot: NewsApp, bot_api: FakeBotAPI, store: Store
) -> None:
    data = opml(*(f"https://t{n}.example/feed" for n in range(40)))
    before = len(bot_api.sent(USER))
    bot_api.send_document(USER, "a.opml", data)
    bot_api.send_document(USER, "a.opml", data)
    messages = await bot_api.wait_sent(USER, before + 2)
    texts = sorted(m.text.splitlines()[0] for m in messages[before:])
    added = [int(t.split("added ")[1].split(",")[0]) for t in texts]
    already = [int(t.split("already there ")[1].split(",")[0]) for t in texts]
    assert sum(added) == 40
    assert sum(already) == 40
    async with store.connect() as conn:
        count = select(func.count()).select_from(chat_sources)
        assert (await conn.execute(count)).scalar_one() == 40


async def test_other_files_get_a_hint(bot: NewsApp, bot_api: FakeBotAPI) -> None:
    assert await send_file(bot_api, USER, "photo.jpg", b"\xff\xd8") == [
        words.OPML_USAGE.replace("<code>", "").replace("</code>", "")
    ]

"""The Mini App served by its real Tornado server, on a real database, with the fake Bot API."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.web.auth import sign_init_data
from bot.web.server import serving_web
from harness.botapi import FakeBotAPI
from news.models import ParsedEntry
from news.settings import Settings
from news.storage import articles as article_store
from news.storage.db import Store
from news.storage.feeds import add_feed
from news.subscriptions import subscribe
from tests.bot.conftest import bot_settings

USER = 501
OTHER = 777
GROUP = -100555


@dataclass
class Web:
    """A running Mini App: its address, settings and the fake Bot API behind it."""

    url: str
    settings: Settings
    api: FakeBotAPI
    store: Store

    def init_data(self, user_id: int = USER, *, age: float = 0, **extra: str) -> str:
        fields = {
            "auth_date": str(int(time.time() - age)),
            "query_id": f"AAH{user_id}{time.monotonic_ns()}",
            "user": json.dumps({"id": user_id, "first_name": "Ann"}, separators=(",", ":")),
            **extra,
        }
        return sign_init_data(self.api.token, fields)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, follow_redirects=False, timeout=10)


async def open_session(client: httpx.AsyncClient, init_data: str) -> httpx.Response:
    """Do what app.js does: get the entry page (XSRF cookie), post initData."""
    entry = await client.get("/app/")
    token = entry.text.split('data-xsrf="', 1)[1].split('"', 1)[0]
    return await client.post(
        "/app/session", data={"init_data": init_data}, headers={"X-XSRFToken": token}
    )


async def add_story(
    store: Store,
    at: datetime,
    title: str,
    *,
    text: str = "",
    url: str = "",
    feed_title: str = "Example News",
    feed_url: str = "https://example.com/feed.xml",
) -> int:
    """Store one summarized article fetched at `at`; return its id."""
    feed, _ = await add_feed(store, feed_url, now=at - timedelta(days=30), title=feed_title)
    entry = ParsedEntry(
        entry_hash=f"{feed.id}-{title}",
        title=title,
        url=url or f"https://example.com/{abs(hash(title))}",
        published_at=at - timedelta(minutes=5),
        text=text or f"{title}. A longer text about {title.lower()} follows here.",
    )
    await article_store.upsert_articles(store, feed.id, [entry], now=at)
    found = await article_store.articles_between(
        store, since=at - timedelta(seconds=1), until=at, feed_ids=[feed.id]
    )
    article = next(a for a in found if a.title == title)
    await article_store.set_summary(
        store, article.id, summary=f"Summary of {title}.", language="en", now=at
    )
    return article.id


async def subscribe_chat(store: Store, chat_id: int, *, chat_type: str = "private") -> None:
    now = datetime.now(UTC)
    await subscribe(
        store,
        chat_id,
        chat_type=chat_type,
        title=None,
        digest_times=[datetime.strptime("08:00", "%H:%M").time()],  # noqa: DTZ007
        timezone="UTC",
        max_articles=10,
        now=now - timedelta(days=2),
    )


@pytest.fixture
async def web(settings: Settings, store: Store, bot_api: FakeBotAPI) -> AsyncIterator[Web]:
    """The Mini App on a free port of 127.0.0.1."""
    config = bot_settings(settings, bot_api, web_base_url="http://127.0.0.1")
    async with serving_web(store, config, host="127.0.0.1", port=0) as port:
        yield Web(f"http://127.0.0.1:{port}", config, bot_api, store)

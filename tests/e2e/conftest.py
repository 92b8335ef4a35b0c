"""End to end: the bot, the planner and the sender together, as a subscriber meets them.

In-process tests run the real Application (long polling the fake Bot API), the real jobs and a
real SQLite file, with the time of day moved by the test. Process tests start `newsbot ROLE`
as a child process against the fake Bot API running in this process, and kill it for real.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import pytest
from sqlalchemy import select
from telegram import Bot

from bot.telegram.app import NewsApp
from harness.botapi import FakeBotAPI
from harness.procs import Proc, role_env, start_role
from jobs.deliver import DeliveryStats, drain_once, sender_bot
from jobs.plan import PlanReport, plan_due_digests
from news.settings import Settings
from news.storage.db import Store
from news.storage.tables import outbox as outbox_table
from tests.bot.conftest import Clock, bot_settings, running_bot

# The morning the tests start on: the seed feeds' stories are dated 20..25 Nov 2026. Every time
# the tests move to lies before today, so the sender (which reads the real clock) finds the
# planned rows due.
MORNING = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    """The bot's and the jobs' notion of now, moved by the test."""
    return Clock(MORNING)


@pytest.fixture
def e2e_settings(settings: Settings, bot_api: FakeBotAPI) -> Settings:
    """Test settings pointed at the fake, with Telegram's per-chat pause shortened.

    The fake's own limits are off while the in-process bot runs (running_bot), so only the
    sender's pacing is shortened here, to keep a five-part digest from taking five seconds.
    """
    return bot_settings(settings, bot_api, chat_interval=0.02, send_rate=200.0)


@pytest.fixture
async def app(
    e2e_settings: Settings,
    store: Store,
    bot_api: FakeBotAPI,
    clock: Clock,
) -> AsyncIterator[NewsApp]:
    """The bot, long polling the fake Bot API, on the test's clock."""
    async with running_bot(e2e_settings, store, bot_api, clock) as application:
        yield application


@pytest.fixture
async def sender(e2e_settings: Settings) -> AsyncIterator[Bot]:
    """The sender's own Bot (no rate limiter: the sender paces itself)."""
    async with sender_bot(e2e_settings) as bot:
        yield bot


async def deliver(
    store: Store, settings: Settings, bot: Bot, *, now: datetime
) -> tuple[PlanReport, DeliveryStats]:
    """Plan the digests due at `now`, then drain the outbox once: what the worker and sender do."""
    report = await plan_due_digests(store, settings, now=now)
    stats = await drain_once(store, bot, settings)
    return report, stats


async def outbox_rows(store: Store, chat_id: int | None = None) -> list[dict[str, object]]:
    """Return the outbox rows (of one chat), oldest first."""
    stmt = select(outbox_table).order_by(outbox_table.c.id)
    if chat_id is not None:
        stmt = stmt.where(outbox_table.c.chat_id == chat_id)
    async with store.connect() as conn:
        return [dict(row._mapping) for row in await conn.execute(stmt)]


def rss(title: str, items: list[tuple[str, str, datetime, str]]) -> bytes:
    """Return an RSS 2.0 feed of (guid, title, published, description) items."""
    entries = "".join(
        f"<item><guid isPermaLink='false'>{xml_escape(guid)}</guid>"
        f"<title>{xml_escape(item_title)}</title>"
        f"<link>https://harbour.example.com/{xml_escape(guid)}</link>"
        f"<pubDate>{format_datetime(published)}</pubDate>"
        f"<description>{xml_escape(text)}</description></item>"
        for guid, item_title, published, text in items
    )
    return (
        "<?xml version='1.0' encoding='UTF-8'?><rss version='2.0'><channel>"
        f"<title>{xml_escape(title)}</title><link>https://harbour.example.com/</link>"
        f"<description>Generated for the end-to-end tests</description>{entries}"
        "</channel></rss>"
    ).encode()


# -- child processes -------------------------------------------------------------------------


def child_env(api: FakeBotAPI, database: Path, **extra: str) -> dict[str, str]:
    """Return the environment of a `newsbot` child on a SQLite file, pointed at the fake."""
    env = role_env(
        f"sqlite:///{database}", telegram_token=api.token, telegram_base_url=api.base_url
    )
    return env | extra


def start_newsbot(role: str, env: dict[str, str], workdir: Path) -> Proc:
    """Start `newsbot ROLE` in WORKDIR (no .env there), its log in WORKDIR/ROLE.log."""
    return start_role(role, [role], env, workdir, cwd=workdir)

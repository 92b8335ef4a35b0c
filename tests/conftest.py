"""Shared fixtures: settings, and a fresh SQLite or PostgreSQL database per test."""

from __future__ import annotations

import os
import uuid

# PTB 22 warns on every RetryAfter unless durations are timedeltas; warnings are errors here.
os.environ.setdefault("PTB_TIMEDELTA", "true")
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from news.settings import Settings, async_database_url
from news.storage.db import Store, open_store

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DATA = Path(__file__).resolve().parent / "data"
pytest_plugins = ["tests.servers", "tests.botapi"]

PG_URL = async_database_url(
    os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
)


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No NEWSBOT_ variable of the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("NEWSBOT_"):
            monkeypatch.delenv(name)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for tests: a SQLite file in tmp_path, private networks (127.0.0.1) allowed."""
    return Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'newsbot.db'}",
        allow_private_networks=True,
        data_dir=tmp_path,
        read_timeout=3.0,
        connect_timeout=3.0,
    )


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[Store]:
    """A fresh SQLite database with the migrations applied."""
    s = await open_store(settings.database_url)
    yield s
    await s.close()


async def _admin_execute(sql: str) -> None:
    url = make_url(PG_URL)
    conn = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, database=url.database
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """The URL of a fresh, empty PostgreSQL database, dropped after the test."""
    name = f"newsbot_t_{uuid.uuid4().hex[:12]}"
    await _admin_execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        await _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def pg_store(pg_url: str) -> AsyncIterator[Store]:
    """A fresh PostgreSQL database with the migrations applied."""
    s = await open_store(pg_url)
    yield s
    await s.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest) -> Store:
    """The same test on a fresh SQLite and a fresh PostgreSQL database."""
    name = "store" if request.param == "sqlite" else "pg_store"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]

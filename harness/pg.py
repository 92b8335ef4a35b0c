"""Fresh PostgreSQL databases on the server of TEST_DATABASE_URL, for tests and benchmarks."""

from __future__ import annotations

import os
import uuid

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

from news.settings import async_database_url

ADMIN_URL = async_database_url(
    os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
)


async def admin_execute(sql: str, admin_url: str = ADMIN_URL) -> None:
    """Run one statement on the admin database (CREATE/DROP DATABASE cannot run in a pool)."""
    url = make_url(admin_url)
    conn = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, database=url.database
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def database_url(name: str, admin_url: str = ADMIN_URL) -> str:
    """Return the URL of database `name` on the admin URL's server."""
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


async def create_database(
    prefix: str = "newsbot_bench", admin_url: str = ADMIN_URL, *, template: str | None = None
) -> str:
    """Create a fresh database (empty, or a copy of `template`) and return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    await admin_execute(f'CREATE DATABASE "{name}"{copy}', admin_url)
    return database_url(name, admin_url)


async def drop_database(url: str, admin_url: str = ADMIN_URL) -> None:
    """Drop a database made by create_database (closing its connections)."""
    name = make_url(url).database
    await admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', admin_url)

"""The database handle: an async SQLAlchemy engine, SQLite (WAL) by default, PostgreSQL by URL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Table, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql.dml import Insert

from news.settings import async_database_url

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")


class Store:
    """The engine and what the queries need to know about its dialect."""

    def __init__(self, engine: AsyncEngine, read_only: AsyncEngine | None = None) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._read_only = read_only or engine
        # SQLite has one writer at a time. Queuing writers here, in the event loop, is far
        # cheaper than letting them sleep in SQLite's busy handler, which under load made an
        # INSERT wait many times its own work. Writes never nest, so this cannot deadlock.
        self._write_lock = asyncio.Lock() if self.is_sqlite else None

    @property
    def is_sqlite(self) -> bool:
        """Return whether this store is SQLite."""
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        """Yield a connection inside one transaction, committed on success."""
        if self._write_lock is None:
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self._write_lock, self.engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """Yield a connection for reads (autobegin; rolled back on exit)."""
        async with self.engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def read_only(self) -> AsyncIterator[AsyncConnection]:
        """Yield a connection that cannot write (autobegin; rolled back on exit).

        A SQLite file has a pool of its own for it (PRAGMA query_only), so searches never take
        a connection the writers need; PostgreSQL's come from the engine's pool, in READ ONLY
        transactions. An in-memory SQLite database has only its one connection, which can write.
        """
        async with self._read_only.connect() as conn:
            yield conn

    async def upgrade(self) -> None:
        """Apply every pending migration."""
        async with self.engine.begin() as conn:
            await conn.run_sync(_upgrade)

    async def close(self) -> None:
        """Close every connection."""
        await self._read_only.dispose()  # the same pool on PostgreSQL: disposing twice is fine
        await self.engine.dispose()


def _upgrade(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _read_only(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def make_store(url: str, *, pool_size: int = 10) -> Store:
    """Return a Store for `url`; creates the SQLite file's folder when needed."""
    url = async_database_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=True,
            hide_parameters=True,
        )
        return Store(engine, engine.execution_options(postgresql_readonly=True))
    in_memory = not parsed.database or parsed.database == ":memory:"
    if in_memory:  # one connection holds the whole database: no second pool
        return Store(_sqlite_engine(url))
    Path(parsed.database or "").parent.mkdir(parents=True, exist_ok=True)
    read_only = _sqlite_engine(url)
    event.listen(read_only.sync_engine, "connect", _read_only)
    return Store(_sqlite_engine(url), read_only)


def _sqlite_engine(url: str) -> AsyncEngine:
    engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


async def open_store(url: str, *, pool_size: int = 10) -> Store:
    """Return a Store with its migrations applied."""
    store = make_store(url, pool_size=pool_size)
    await store.upgrade()
    return store


def insert_ignore(dialect: str, table: Table, index_elements: list[str]) -> Insert:
    """Return an INSERT that skips rows conflicting on `index_elements` (SQLite or PostgreSQL)."""
    if dialect == "sqlite":
        return sqlite_insert(table).on_conflict_do_nothing(index_elements=index_elements)
    return pg_insert(table).on_conflict_do_nothing(index_elements=index_elements)

"""The database handle: an async SQLAlchemy engine, SQLite (WAL) by default, PostgreSQL by URL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Table, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool, PoolProxiedConnection
from sqlalchemy.sql.dml import Insert
from sqlalchemy.util import greenlet_spawn

from news.settings import async_database_url

log = logging.getLogger(__name__)

T = TypeVar("T")

MIGRATIONS = Path(__file__).with_name("migrations")
# Idle read connections kept for search (more are opened while more searches run at once).
IDLE_READERS = 4


class Store:
    """The engine and what the queries need to know about its dialect."""

    def __init__(self, engine: AsyncEngine, readers: AsyncEngine | None = None) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._readers = readers
        # Idle read connections, each with its driver connection (a lookup through 3 objects).
        self._idle: list[tuple[PoolProxiedConnection, Any]] = []
        # SQLite has one writer at a time. Queuing writers here, in the event loop, is far
        # cheaper than letting them sleep in SQLite's busy handler (measured: an INSERT under
        # load waited 300 ms for 20 ms of work). Writes never nest, so this cannot deadlock.
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

    async def read(self, work: Callable[[Any], Awaitable[T]]) -> T:
        """Return `await work(driver)` on a driver connection (aiosqlite / asyncpg) kept for reads.

        For search, where a pooled connection cost as much as a rare word's lookup: checkout,
        pre-ping, and the rollback on return (a thread hop on SQLite) for a read that opened no
        transaction. `work` runs complete statements or a transaction of its own, so the
        connection holds no snapshot between uses and needs no reset; on SQLite it is
        read-only. Instead of a pre-ping: when a connection that sat idle fails (the server
        may have closed it), the idle ones are dropped and `work` runs once more on a new one.
        """
        readers = self._readers
        if readers is None:  # in-memory SQLite: the engine's one connection
            async with self.engine.connect() as conn:
                return await work((await conn.get_raw_connection()).driver_connection)
        if not self._idle:
            return await self._read_on(await _new_reader(readers), work)
        # Without a context manager: on a rare word's search it cost a tenth of the query.
        try:
            return await self._read_on(self._idle.pop(), work)
        except Exception as exc:
            log.info("read failed on an idle connection, retrying on a new one: %r", exc)
            idle, self._idle = self._idle, []
            for proxied, _ in idle:
                await greenlet_spawn(proxied.invalidate)
            return await self._read_on(await _new_reader(readers), work)

    async def _read_on(
        self, reader: tuple[PoolProxiedConnection, Any], work: Callable[[Any], Awaitable[T]]
    ) -> T:
        try:
            result = await work(reader[1])
        except BaseException:
            await greenlet_spawn(reader[0].invalidate)  # not reused after an error
            raise
        if len(self._idle) < IDLE_READERS:
            self._idle.append(reader)
        else:
            await greenlet_spawn(reader[0].close)
        return result

    async def upgrade(self) -> None:
        """Apply every pending migration."""
        async with self.engine.begin() as conn:
            await conn.run_sync(_upgrade)

    async def close(self) -> None:
        """Close every connection."""
        idle, self._idle = self._idle, []
        for proxied, _ in idle:
            await greenlet_spawn(proxied.close)
        if self._readers is not None:
            await self._readers.dispose()
        await self.engine.dispose()


async def _new_reader(readers: AsyncEngine) -> tuple[PoolProxiedConnection, Any]:
    proxied = await readers.raw_connection()
    return proxied, proxied.driver_connection


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
    if parsed.get_backend_name() == "sqlite":
        in_memory = not parsed.database or parsed.database == ":memory:"
        if not in_memory:
            Path(parsed.database or "").parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        if in_memory:
            return Store(engine)
        readers = create_async_engine(
            url, connect_args={"timeout": 30}, hide_parameters=True, poolclass=NullPool
        )
        event.listen(readers.sync_engine, "connect", _sqlite_pragmas)
        event.listen(readers.sync_engine, "connect", _read_only)
        return Store(engine, readers)
    engine = create_async_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, hide_parameters=True
    )
    readers = create_async_engine(url, hide_parameters=True, poolclass=NullPool)
    return Store(engine, readers)


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

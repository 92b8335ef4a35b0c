"""One active process per role and bot token: a PostgreSQL advisory lock, standbys waiting.

The lock lives on one dedicated connection: if the process dies, PostgreSQL drops the lock
with the connection and a standby takes over within `check_every` seconds. If the connection
itself breaks (PostgreSQL restarted), the work is stopped at once, since another process may
hold the lock now, and this process goes back to waiting. SQLite runs one process: no lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine

from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from news.storage import locks
from news.storage.db import Store

log = logging.getLogger(__name__)

Work = Callable[[asyncio.Event], Coroutine[object, object, None]]


async def run_as_leader(
    store: Store, name: str, work: Work, stop: asyncio.Event, *, check_every: float = 5.0
) -> None:
    """Run `work` while this process holds the lock `name`; wait as a standby otherwise."""
    if store.is_sqlite:
        await work(stop)
        return
    key = locks.lock_key(name)
    while not stop.is_set():
        try:
            async with store.engine.connect() as conn:
                if await locks.try_lock(conn, key):
                    log.info("leader lock acquired role=%s", name)
                    await _lead(conn, work, stop, check_every)
                    await locks.unlock(conn, key)
                else:
                    log.debug("standby: lock held elsewhere role=%s", name)
        except (SQLAlchemyError, OSError) as exc:
            log.warning("leader lock lost or unavailable role=%s error=%s", name, exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=check_every)


async def _lead(conn: AsyncConnection, work: Work, stop: asyncio.Event, every: float) -> None:
    """Run the work until `stop`, or until the lock's connection stops answering."""
    inner = asyncio.Event()
    task = asyncio.create_task(work(inner))
    try:
        while not stop.is_set() and not task.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)
            if not stop.is_set() and not task.done():
                await locks.ping(conn)
    except (DBAPIError, OSError):
        log.warning("leader connection lost: stopping the work")
        raise
    finally:
        inner.set()
        await task

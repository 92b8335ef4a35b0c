"""PostgreSQL advisory locks, held on one connection the caller keeps open.

The lock belongs to the session: if the connection drops, PostgreSQL releases the lock with it.
"""

from __future__ import annotations

import contextlib
import hashlib

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection


def lock_key(name: str) -> int:
    """Return a stable signed 64-bit advisory lock key for `name`."""
    digest = hashlib.sha256(f"newsbot:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def try_lock(conn: AsyncConnection, key: int) -> bool:
    """Return whether this connection now holds the lock `key` (False: someone else has it)."""
    result = await conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
    await conn.commit()
    return bool(result.scalar_one())


async def unlock(conn: AsyncConnection, key: int) -> None:
    """Release the lock `key`; a connection already gone has released it anyway."""
    with contextlib.suppress(SQLAlchemyError, OSError):
        await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
        await conn.commit()


async def ping(conn: AsyncConnection) -> None:
    """Check that the lock's connection still answers; raises DBAPIError or OSError if not."""
    await conn.execute(text("SELECT 1"))
    await conn.commit()

"""Copy every row from one database to another (SQLite -> PostgreSQL, or back), keeping ids.

The target gets its migrations first; the full-text index is rebuilt there by its own triggers
(SQLite) or generated column (PostgreSQL), so only the base tables are copied.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import func, select, text

from news.errors import NewsbotError
from news.storage.db import Store
from news.storage.tables import articles, feeds, outbox, searches, subscriptions

log = logging.getLogger(__name__)

# Parents before children, so foreign keys hold at every step.
TABLES = (feeds, articles, subscriptions, outbox, searches)
BATCH = 1000


async def copy_database(
    source: Store, target: Store, *, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Copy all rows of `source` into the empty, migrated `target`; return rows per table."""
    async with target.connect() as conn:
        for table in TABLES:
            if (await conn.execute(select(func.count()).select_from(table))).scalar_one():
                raise NewsbotError(f"copy: the target's {table.name} table is not empty")
    counts: dict[str, int] = {}
    for table in TABLES:
        copied = 0
        last_id = 0
        while True:
            async with source.connect() as conn:
                rows = (
                    (
                        await conn.execute(
                            select(table)
                            .where(table.c.id > last_id)
                            .order_by(table.c.id)
                            .limit(BATCH)
                        )
                    )
                    .mappings()
                    .all()
                )
            if not rows:
                break
            async with target.begin() as conn:
                await conn.execute(table.insert(), [dict(row) for row in rows])
            copied += len(rows)
            last_id = rows[-1]["id"]
            if progress is not None:
                progress(table.name, copied)
        counts[table.name] = copied
        if target.dialect == "postgresql":
            # Ids were copied as they are: move the sequence past them.
            async with target.begin() as conn:
                await conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                        f"coalesce((SELECT max(id) FROM {table.name}), 0) + 1, false)"
                    )
                )
        log.info("copied table=%s rows=%d", table.name, copied)
    return counts

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Text, bindparam, cast, select, text
from sqlalchemy.pool import QueuePool

from bot.cli.commands import opened
from news.settings import Settings
from news.storage.db import MIGRATIONS, Store
from news.storage.tables import UTCDateTime, sqlite_text


async def test_migrations_create_the_schema(any_store: Store) -> None:
    async with any_store.connect() as conn:
        for table in ("feeds", "articles", "subscriptions", "outbox", "searches"):
            count = (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
            assert count == 0


async def test_migrations_are_idempotent(any_store: Store) -> None:
    await any_store.upgrade()
    await any_store.upgrade()
    async with any_store.connect() as conn:
        versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
    assert [row[0] for row in versions] == ScriptDirectory(str(MIGRATIONS)).get_heads()


async def test_the_pool_size_setting_bounds_a_process_connections(pg_url: str) -> None:
    settings = Settings(_env_file=None, database_url=pg_url, database_pool_size=3)
    async with opened(settings) as store:
        pool = store.engine.pool
        assert isinstance(pool, QueuePool)
        assert (pool.size(), pool._max_overflow) == (3, 3)


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 11, 25, 23, 1, 53, tzinfo=UTC),
        datetime(2026, 11, 25, 23, 1, 53, 120, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4, 5, 999999, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-8))),
    ],
)
async def test_sqlite_text_is_the_text_the_tables_store(store: Store, value: datetime) -> None:
    stored = select(cast(bindparam("t", value, type_=UTCDateTime()), Text))
    async with store.connect() as conn:
        assert (await conn.execute(stored)).scalar_one() == sqlite_text(value)
    with pytest.raises(ValueError, match="naive"):
        sqlite_text(value.replace(tzinfo=None))

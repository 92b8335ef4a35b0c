from sqlalchemy import text
from sqlalchemy.pool import QueuePool

from bot.cli_commands import opened
from news.settings import Settings
from news.storage.db import Store


async def test_migrations_create_the_schema(any_store: Store) -> None:
    async with any_store.connect() as conn:
        for table in ("feeds", "articles", "subscriptions", "outbox", "searches"):
            count = (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
            assert count == 0


async def test_migrations_are_idempotent(any_store: Store) -> None:
    await any_store.upgrade()
    await any_store.upgrade()


async def test_the_pool_size_setting_bounds_a_process_connections(pg_url: str) -> None:
    settings = Settings(_env_file=None, database_url=pg_url, database_pool_size=3)
    async with opened(settings) as store:
        pool = store.engine.pool
        assert isinstance(pool, QueuePool)
        assert (pool.size(), pool._max_overflow) == (3, 3)

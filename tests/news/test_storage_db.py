from sqlalchemy import text

from news.storage.db import Store


async def test_migrations_create_the_schema(any_store: Store) -> None:
    async with any_store.connect() as conn:
        for table in ("feeds", "articles", "subscriptions", "outbox", "searches"):
            count = (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
            assert count == 0


async def test_migrations_are_idempotent(any_store: Store) -> None:
    await any_store.upgrade()
    await any_store.upgrade()

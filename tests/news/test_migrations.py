"""The schema Alembic's migrations build is the one news/storage/tables.py describes.

compare_metadata sees everything in the migrated database. Three kinds of object are left out
on purpose, because tables.py does not describe them by design ("the migrations create the
schema itself"): indexes (tables.py declares none; one it declared would be compared), the
SQLite FTS5 search index (the articles_fts virtual table and its shadow tables), and the
PostgreSQL generated `articles.tsv` column. Tables, columns, types, nullability, unique
constraints and foreign keys are compared.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from news.storage.db import Store
from news.storage.tables import metadata


def described(obj: object, name: str | None, kind: str, reflected: bool, other: object) -> bool:
    """Return whether tables.py is meant to describe this database object."""
    if kind == "index":
        return not (reflected and other is None)
    if kind == "table":
        return not (name or "").startswith("articles_fts")
    return not (kind == "column" and name == "tsv")


def schema_diff(connection: Connection) -> list[object]:
    """Return what autogenerate would change to make the database match tables.py."""
    options = {"compare_type": True, "include_object": described}
    context = MigrationContext.configure(connection, opts=options)
    return list(compare_metadata(context, metadata))


async def test_the_migrated_schema_is_the_one_tables_py_describes(any_store: Store) -> None:
    async with any_store.connect() as conn:
        diff = await conn.run_sync(schema_diff)
    assert diff == []


async def test_the_comparison_sees_a_column_tables_py_lacks(any_store: Store) -> None:
    async with any_store.begin() as conn:
        await conn.exec_driver_sql("ALTER TABLE feeds ADD COLUMN stray TEXT")
        diff = await conn.run_sync(schema_diff)
    assert [(kind, table, column.name) for kind, _, table, column in diff] == [
        ("remove_column", "feeds", "stray")
    ]

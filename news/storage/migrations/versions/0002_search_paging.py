"""Search: accents ignored on PostgreSQL as on SQLite, and articles indexed by fetch time.

FTS5 folds diacritics (remove_diacritics 2), so "cafe" finds "café"; PostgreSQL's `english`
configuration does not. The `newsbot` configuration is `english` with `unaccent` before the
stemmer, and the generated tsvector is rebuilt with it. The fetched_at index lets a search pin
its pages to the articles fetched before it began.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

POSTGRES_UNACCENT = [
    # unaccent is a trusted extension (PostgreSQL 13+): the database owner may create it.
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE TEXT SEARCH CONFIGURATION newsbot (COPY = english)",
    """ALTER TEXT SEARCH CONFIGURATION newsbot
        ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem""",
    "DROP INDEX ix_articles_tsv",
    "ALTER TABLE articles DROP COLUMN tsv",
    """ALTER TABLE articles ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('newsbot'::regconfig, coalesce(title, '')), 'A') ||
        setweight(to_tsvector('newsbot'::regconfig, coalesce(summary, '')), 'B') ||
        setweight(to_tsvector('newsbot'::regconfig, left(text, 100000)), 'C')) STORED""",
    "CREATE INDEX ix_articles_tsv ON articles USING gin (tsv)",
]

POSTGRES_ENGLISH = [
    "DROP INDEX ix_articles_tsv",
    "ALTER TABLE articles DROP COLUMN tsv",
    """ALTER TABLE articles ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english'::regconfig, coalesce(summary, '')), 'B') ||
        setweight(to_tsvector('english'::regconfig, left(text, 100000)), 'C')) STORED""",
    "CREATE INDEX ix_articles_tsv ON articles USING gin (tsv)",
    "DROP TEXT SEARCH CONFIGURATION newsbot",
]


def upgrade() -> None:
    op.create_index("ix_articles_fetched_at", "articles", ["fetched_at"])
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_UNACCENT:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_ENGLISH:
            op.execute(statement)
    op.drop_index("ix_articles_fetched_at", table_name="articles")

"""Search storage on PostgreSQL: the tsvector kept in the article's row, the GIN index kept current.

A phrase query's GIN lookup finds the articles holding all its words; their tsvectors are then
read to check the words' positions. Stored the default way (EXTENDED), a tsvector of a typical
article (about 1.2 kB, hardly compressible) went to the TOAST table, so every such check read
the TOAST index and TOAST pages besides the article's page: five buffers per candidate instead
of one. STORAGE MAIN keeps it in the row (a very long article's still goes out of line as a last
resort; its text moves out first). CLUSTER rewrites the existing rows so they move too; it
locks the articles table while it runs (`newsbot db upgrade` runs before the other roles).

`fastupdate = off`: with the default, new articles wait in the GIN index's pending list (up to
gin_pending_list_limit, 4 MB) until a vacuum merges them, and every search scans that whole
list. Off, each insert updates the index at once: slower per article, which a news feed's
rate of articles does not notice; a search's cost no longer depends on when the last vacuum ran.
Measured figures: bench/results/search.md.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

POSTGRES_UPGRADE = [
    "ALTER TABLE articles ALTER COLUMN tsv SET STORAGE MAIN",
    "ALTER INDEX ix_articles_tsv SET (fastupdate = off)",
    "SELECT gin_clean_pending_list('ix_articles_tsv')",
    "CLUSTER articles USING articles_pkey",
    "ALTER TABLE articles SET WITHOUT CLUSTER",
]

POSTGRES_DOWNGRADE = [
    "ALTER INDEX ix_articles_tsv RESET (fastupdate)",
    "ALTER TABLE articles ALTER COLUMN tsv SET STORAGE EXTENDED",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_DOWNGRADE:
            op.execute(statement)

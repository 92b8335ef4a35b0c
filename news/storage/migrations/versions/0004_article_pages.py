"""Articles: an entry stored from its feed may wait for its article page.

A teaser entry is stored at once with `page_pending` set; a later round fetches its page,
replaces the text and clears the flag. `page_lease_until` hands each page to one worker. The
partial index serves that round's claim (newest first) without reading the whole archive.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "articles",
        sa.Column("page_pending", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.add_column("articles", sa.Column("page_lease_until", sa.DateTime(timezone=True)))
    # Each predicate as the claim's `page_pending = true` compiles on that dialect, so the
    # planner sees the query implies it (SQLite matches terms literally).
    op.create_index(
        "ix_articles_page_pending",
        "articles",
        ["sort_at", "id"],
        postgresql_where=sa.text("page_pending"),
        sqlite_where=sa.text("page_pending = 1"),
    )


def downgrade() -> None:
    op.drop_index("ix_articles_page_pending", table_name="articles")
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy of the table would lose the FTS triggers.
    for column in ("page_lease_until", "page_pending"):
        op.execute(f"ALTER TABLE articles DROP COLUMN {column}")

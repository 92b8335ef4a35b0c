"""Outbox: indexes for the sender's claim at tens of thousands of pending rows.

The claim takes the oldest due rows by (next_attempt_at, id). With (status, next_attempt_at)
only, PostgreSQL sorted every due row before taking a batch; a digest planned for 50,000
subscribers gives them all one next_attempt_at, and each claim sorted 50,000 rows. And for each
row it looks up the first pending row of the same chat that is not due: (chat_id, id) over the
pending rows answers that from a handful of index entries.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_due", "outbox", ["status", "next_attempt_at", "id"])
    op.drop_index("ix_outbox_status_next", table_name="outbox")
    pending = sa.text("status = 'pending'")
    op.create_index(
        "ix_outbox_pending_chat",
        "outbox",
        ["chat_id", "id"],
        postgresql_where=pending,
        sqlite_where=pending,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_pending_chat", table_name="outbox")
    op.create_index("ix_outbox_status_next", "outbox", ["status", "next_attempt_at"])
    op.drop_index("ix_outbox_due", table_name="outbox")

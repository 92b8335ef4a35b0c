"""The Mini App's opened initData: each hash of Telegram's initData opens one session only.

`web_opened` keeps the hash of every initData that opened a session until it could no longer
be accepted anyway (its auth_date plus NEWSBOT_WEB_INIT_MAX_AGE), so a replayed initData is
refused by every web process and replica alike.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_opened",
        sa.Column("proof", sa.Text, primary_key=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_web_opened_expires", "web_opened", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_web_opened_expires", table_name="web_opened")
    op.drop_table("web_opened")

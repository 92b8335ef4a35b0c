"""Filters and alerts: saved queries per chat, and which articles each chat was alerted of.

`chat_filters` holds the queries every story of a chat's digests must match (for one source
when `feed_id` is set). `alerts` holds saved searches pushed as soon as a story is summarized.
`alert_hits` keys each (chat, article) once: the match and its outbox row are written in one
transaction, so a worker that dies before the message goes out never queues it twice; `folded`
hits went over the chat's hourly cap and are counted in one "and N more" message instead.
`outbox.buttons` carries a message's inline keyboard (JSON), for the alerts' buttons.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_filters",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("feed_id", sa.Integer, sa.ForeignKey("feeds.id", ondelete="CASCADE")),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_chat_filters_chat", "chat_filters", ["chat_id", "id"])
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("chat_id", "query", name="uq_alerts_chat_query"),
    )
    op.create_table(
        "alert_hits",
        sa.Column("chat_id", sa.BigInteger, primary_key=True),
        sa.Column(
            "article_id",
            sa.Integer,
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id", ondelete="CASCADE")),
        sa.Column("folded", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_alert_hits_recent", "alert_hits", ["chat_id", "created_at"])
    op.add_column("outbox", sa.Column("buttons", sa.Text))


def downgrade() -> None:
    op.execute("ALTER TABLE outbox DROP COLUMN buttons")
    op.drop_index("ix_alert_hits_recent", table_name="alert_hits")
    op.drop_table("alert_hits")
    op.drop_table("alerts")
    op.drop_index("ix_chat_filters_chat", table_name="chat_filters")
    op.drop_table("chat_filters")

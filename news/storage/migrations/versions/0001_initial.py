"""Initial schema: feeds, articles with a full-text index, subscriptions, outbox, searches.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)

# SQLite: an external-content FTS5 table kept in sync by triggers (the sqlite-utils way).
SQLITE_FTS = [
    """CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, summary, text, content='articles', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, summary, text)
        VALUES (new.id, new.title, coalesce(new.summary, ''), new.text);
    END""",
    """CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, summary, text)
        VALUES ('delete', old.id, old.title, coalesce(old.summary, ''), old.text);
    END""",
    """CREATE TRIGGER articles_au AFTER UPDATE OF title, summary, text ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, summary, text)
        VALUES ('delete', old.id, old.title, coalesce(old.summary, ''), old.text);
        INSERT INTO articles_fts(rowid, title, summary, text)
        VALUES (new.id, new.title, coalesce(new.summary, ''), new.text);
    END""",
]

# PostgreSQL: a generated, weighted tsvector with a GIN index. The text is capped because a
# tsvector may not exceed 1 MB.
POSTGRES_FTS = [
    """ALTER TABLE articles ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english'::regconfig, coalesce(summary, '')), 'B') ||
        setweight(to_tsvector('english'::regconfig, left(text, 100000)), 'C')) STORED""",
    "CREATE INDEX ix_articles_tsv ON articles USING gin (tsv)",
]


def upgrade() -> None:
    op.create_table(
        "feeds",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("url", sa.Text, nullable=False, unique=True),
        sa.Column("title", sa.Text),
        sa.Column("site_url", sa.Text),
        sa.Column("etag", sa.Text),
        sa.Column("last_modified", sa.Text),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("next_check_at", TS, nullable=False),
        sa.Column("last_checked_at", TS),
        sa.Column("last_success_at", TS),
        sa.Column("error_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Column("lease_owner", sa.Text),
        sa.Column("lease_until", TS),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_feeds_next_check_at", "feeds", ["next_check_at"])

    op.create_table(
        "articles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "feed_id",
            sa.Integer,
            sa.ForeignKey("feeds.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("entry_hash", sa.Text, nullable=False),
        sa.Column("guid", sa.Text),
        sa.Column("url", sa.Text),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("author", sa.Text),
        sa.Column("published_at", TS),
        sa.Column("fetched_at", TS, nullable=False),
        sa.Column("sort_at", TS, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("text_source", sa.Text, nullable=False, server_default="feed"),
        sa.Column("content_hash", sa.Text, nullable=False),
        sa.Column("summary", sa.Text),
        sa.Column("language", sa.Text),
        sa.Column("summarized_at", TS),
        sa.Column("summary_lease_until", TS),
        sa.UniqueConstraint("feed_id", "entry_hash", name="uq_articles_feed_entry"),
    )
    op.create_index("ix_articles_sort_at", "articles", ["sort_at"])
    op.create_index("ix_articles_feed_sort_at", "articles", ["feed_id", "sort_at"])
    op.create_index("ix_articles_url", "articles", ["url"])
    op.create_index(
        "ix_articles_unsummarized",
        "articles",
        ["id"],
        sqlite_where=sa.text("summarized_at IS NULL"),
        postgresql_where=sa.text("summarized_at IS NULL"),
    )

    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("chat_id", sa.BigInteger, nullable=False, unique=True),
        sa.Column("chat_type", sa.Text, nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("digest_times", sa.Text, nullable=False),
        sa.Column("timezone", sa.Text, nullable=False),
        sa.Column("frequency", sa.Text, nullable=False, server_default="daily"),
        sa.Column("max_articles", sa.Integer, nullable=False, server_default="10"),
        sa.Column("feed_ids", sa.Text),
        sa.Column("link_previews", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("last_digest_at", TS),
        sa.Column("next_digest_at", TS),
        sa.Column("lease_until", TS),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_subscriptions_next_digest_at", "subscriptions", ["next_digest_at"])

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.Text, nullable=False, server_default="digest"),
        sa.Column("slot", sa.Text, nullable=False),
        sa.Column("part", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("link_previews", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("message_id", sa.BigInteger),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS),
        sa.UniqueConstraint("chat_id", "slot", "part", name="uq_outbox_chat_slot_part"),
    )
    op.create_index("ix_outbox_status_next", "outbox", ["status", "next_attempt_at"])

    op.create_table(
        "searches",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )

    statements = SQLITE_FTS if op.get_bind().dialect.name == "sqlite" else POSTGRES_FTS
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS articles_fts")
    for table in ("searches", "outbox", "subscriptions", "articles", "feeds"):
        op.drop_table(table)

"""Everyone brings their own sources: a chat's feeds are rows of `chat_sources`.

`chat_sources` holds one row per (chat, feed) a chat reads (`source_adds` remembers each add a
chat made, for the adds-per-hour limit); a source muted until a time is left
out of digests until then, and a `digest_only` one raises no alerts. Feeds are one row per URL
however many chats read them: `feeds.url_key` (news.feedurl) is unique, so `http://x/feed` and
`https://x/feed/` are one feed, polled once. `feeds.is_default` marks the operator's feeds, the
set a new subscriber starts with; every feed there before this migration was an admin's.

In a forum supergroup a chat's digests go to the topic it subscribed in
(`subscriptions.thread_id`, carried by each `outbox.thread_id`).

Existing subscribers keep what they had: a subscription with every feed (`feed_ids` NULL) gets
a row per feed, one with chosen feeds a row per chosen feed; `subscriptions.feed_ids` is then
cleared and no longer read.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from news.feedurl import url_key

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("feeds", sa.Column("url_key", sa.Text))
    op.add_column(
        "feeds", sa.Column("is_default", sa.Boolean, nullable=False, server_default=sa.false())
    )
    op.create_table(
        "chat_sources",
        sa.Column("chat_id", sa.BigInteger, primary_key=True),
        sa.Column(
            "feed_id",
            sa.Integer,
            sa.ForeignKey("feeds.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("muted_until", sa.DateTime(timezone=True)),
        sa.Column("digest_only", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    # Who reads a feed: the poll's "still used?" check.
    op.create_index("ix_chat_sources_feed", "chat_sources", ["feed_id"])
    # Every add a chat made, removed since or not: the adds-per-hour limit counts these.
    op.create_table(
        "source_adds",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_source_adds_chat", "source_adds", ["chat_id", "added_at"])
    # Groups with topics: the topic a chat subscribed in, where its digests go.
    op.add_column("subscriptions", sa.Column("thread_id", sa.BigInteger))
    op.add_column("outbox", sa.Column("thread_id", sa.BigInteger))
    conn = op.get_bind()
    _fill(conn)
    # After the keys are filled: two old spellings of one feed keep their rows (the later one
    # has no key), new spellings meet the first.
    op.create_index("uq_feeds_url_key", "feeds", ["url_key"], unique=True)


def _fill(conn: sa.Connection) -> None:
    feeds = sa.table("feeds", sa.column("id"), sa.column("url"), sa.column("url_key"))
    seen: set[str] = set()
    feed_ids = []
    for feed_id, url in conn.execute(sa.select(feeds.c.id, feeds.c.url).order_by(feeds.c.id)):
        feed_ids.append(feed_id)
        key = url_key(url)
        if key in seen:
            continue
        seen.add(key)
        conn.execute(sa.update(feeds).where(feeds.c.id == feed_id).values(url_key=key))
    conn.execute(sa.text("UPDATE feeds SET is_default = :yes"), {"yes": True})
    now = datetime.now(UTC)
    known = set(feed_ids)
    subs = sa.table("subscriptions", sa.column("chat_id"), sa.column("feed_ids"))
    sources = sa.table(
        "chat_sources",
        sa.column("chat_id"),
        sa.column("feed_id"),
        sa.column("digest_only"),
        sa.column("added_at", sa.DateTime(timezone=True)),
    )
    for chat_id, chosen in conn.execute(sa.select(subs.c.chat_id, subs.c.feed_ids)).all():
        ids = feed_ids if chosen is None else [int(p) for p in chosen.split(",") if p]
        rows = [
            {"chat_id": chat_id, "feed_id": i, "digest_only": False, "added_at": now}
            for i in dict.fromkeys(ids)
            if i in known
        ]
        if rows:
            conn.execute(sa.insert(sources), rows)
    conn.execute(sa.update(subs).values(feed_ids=None))


def downgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT chat_id, feed_id FROM chat_sources ORDER BY feed_id"))
    chosen: dict[int, list[str]] = {}
    for chat_id, feed_id in rows:
        chosen.setdefault(chat_id, []).append(str(feed_id))
    for chat_id, ids in chosen.items():
        conn.execute(
            sa.text("UPDATE subscriptions SET feed_ids = :ids WHERE chat_id = :chat"),
            {"ids": ",".join(ids), "chat": chat_id},
        )
    op.drop_index("ix_source_adds_chat", table_name="source_adds")
    op.drop_table("source_adds")
    op.drop_index("ix_chat_sources_feed", table_name="chat_sources")
    op.drop_table("chat_sources")
    op.drop_index("uq_feeds_url_key", table_name="feeds")
    op.execute("ALTER TABLE outbox DROP COLUMN thread_id")
    op.execute("ALTER TABLE subscriptions DROP COLUMN thread_id")
    for column in ("is_default", "url_key"):
        op.execute(f"ALTER TABLE feeds DROP COLUMN {column}")

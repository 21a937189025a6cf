"""Tables, declared once with SQLAlchemy Core; Alembic migrations create them."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

feeds = sa.Table(
    "feeds",
    metadata,
    sa.Column("url", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False, server_default=""),
    sa.Column("reliability", sa.String(1), nullable=False, server_default="B"),
    sa.Column("tags", sa.Text, nullable=False, server_default=""),
    sa.Column("etag", sa.Text),
    sa.Column("last_modified", sa.Text),
    sa.Column("body_hash", sa.String(64)),
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_polled", sa.DateTime(timezone=True)),
    sa.Column("last_status", sa.Text),
    sa.Column("last_error", sa.Text),
    sa.Column("error_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("retry_after", sa.DateTime(timezone=True)),
)

# One row per feed item: what we last saw of it, and whether its analysis finished.
entries = sa.Table(
    "entries",
    metadata,
    sa.Column("feed_url", sa.Text, primary_key=True),
    sa.Column("guid", sa.Text, primary_key=True),
    sa.Column("link", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False, server_default=""),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("entry_json", sa.Text, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # pending | done | failed
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error", sa.Text),
    sa.Column("profile_id", sa.String(16)),
    sa.Column("text_source", sa.String(16)),
    sa.Column("page_etag", sa.Text),
    sa.Column("page_last_modified", sa.Text),
    sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_checked", sa.DateTime(timezone=True)),
)

profile_versions = sa.Table(
    "profile_versions",
    metadata,
    sa.Column("id", sa.String(16), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("analysed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("doc", sa.Text, nullable=False),
    sa.UniqueConstraint("id", "content_hash", name="uq_profile_versions_content"),
)

# The latest version of each profile, denormalised for listing and filtering.
profile_heads = sa.Table(
    "profile_heads",
    metadata,
    sa.Column("id", sa.String(16), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False, server_default=""),
    sa.Column("feed_url", sa.Text, nullable=False, server_default=""),
    sa.Column("url", sa.Text, nullable=False, server_default=""),
    sa.Column("severity", sa.String(8), nullable=False),
    sa.Column("severity_rank", sa.Integer, nullable=False),
    sa.Column("published", sa.DateTime(timezone=True)),
    sa.Column("analysed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
    sa.Column("techniques", sa.Text, nullable=False, server_default=""),
    sa.Column("search", sa.Text, nullable=False, server_default=""),
    sa.Column("n_indicators", sa.Integer, nullable=False, server_default="0"),
    sa.Column("n_hunts", sa.Integer, nullable=False, server_default="0"),
)
sa.Index("ix_profile_heads_analysed", profile_heads.c.analysed_at)
sa.Index("ix_profile_heads_severity", profile_heads.c.severity_rank)

issues = sa.Table(
    "issues",
    metadata,
    sa.Column("n", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("where", sa.Text, nullable=False),
    sa.Column("stage", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
)

# Documents of a backfill archive already analysed: what makes `huntfeed backfill` resumable.
backfill_items = sa.Table(
    "backfill_items",
    metadata,
    sa.Column("doc_id", sa.Text, primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # done | failed
    sa.Column("profile_id", sa.String(16)),
    sa.Column("error", sa.Text),
    sa.Column("origin", sa.Text, nullable=False, server_default=""),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

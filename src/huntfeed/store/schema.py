"""Tables, declared once with SQLAlchemy Core; Alembic migrations create them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

metadata = sa.MetaData()


def _no_nul(value: Any) -> Any:
    # PostgreSQL refuses NUL in text values; a stranger's title or error message may carry one.
    # Dropped on both databases, so a key (a URL, a document id) means the same on either.
    return value.replace("\x00", "") if isinstance(value, str) and "\x00" in value else value


class Text(sa.TypeDecorator[str]):
    """TEXT whose written values lose any NUL character."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return _no_nul(value)


class String(sa.TypeDecorator[str]):
    """VARCHAR(n) whose written values lose any NUL character."""

    impl = sa.String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return _no_nul(value)

feeds = sa.Table(
    "feeds",
    metadata,
    sa.Column("url", Text, primary_key=True),
    sa.Column("name", Text, nullable=False, server_default=""),
    sa.Column("reliability", String(1), nullable=False, server_default="B"),
    sa.Column("tags", Text, nullable=False, server_default=""),
    sa.Column("etag", Text),
    sa.Column("last_modified", Text),
    sa.Column("body_hash", String(64)),
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_polled", sa.DateTime(timezone=True)),
    sa.Column("last_status", Text),
    sa.Column("last_error", Text),
    sa.Column("error_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("retry_after", sa.DateTime(timezone=True)),
)

# One row per feed item: what we last saw of it, and whether its analysis finished.
entries = sa.Table(
    "entries",
    metadata,
    sa.Column("feed_url", Text, primary_key=True),
    sa.Column("guid", Text, primary_key=True),
    sa.Column("link", Text, nullable=False),
    sa.Column("title", Text, nullable=False, server_default=""),
    sa.Column("fingerprint", String(64), nullable=False),
    sa.Column("entry_json", Text, nullable=False),
    sa.Column("state", String(16), nullable=False),  # pending | done | failed
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error", Text),
    sa.Column("profile_id", String(16)),
    sa.Column("text_source", String(16)),
    sa.Column("page_etag", Text),
    sa.Column("page_last_modified", Text),
    sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_checked", sa.DateTime(timezone=True)),
)

profile_versions = sa.Table(
    "profile_versions",
    metadata,
    sa.Column("id", String(16), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("content_hash", String(64), nullable=False),
    sa.Column("analysed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("doc", Text, nullable=False),
    sa.UniqueConstraint("id", "content_hash", name="uq_profile_versions_content"),
)

# The latest version of each profile, denormalised for listing and filtering.
profile_heads = sa.Table(
    "profile_heads",
    metadata,
    sa.Column("id", String(16), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("title", Text, nullable=False),
    sa.Column("source", Text, nullable=False, server_default=""),
    sa.Column("feed_url", Text, nullable=False, server_default=""),
    sa.Column("url", Text, nullable=False, server_default=""),
    sa.Column("severity", String(8), nullable=False),
    sa.Column("severity_rank", sa.Integer, nullable=False),
    sa.Column("published", sa.DateTime(timezone=True)),
    sa.Column("analysed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
    sa.Column("techniques", Text, nullable=False, server_default=""),
    sa.Column("search", Text, nullable=False, server_default=""),
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
    sa.Column("where", Text, nullable=False),
    sa.Column("stage", Text, nullable=False),
    sa.Column("message", Text, nullable=False),
)

# Documents of a backfill archive already analysed: what makes `huntfeed backfill` resumable.
backfill_items = sa.Table(
    "backfill_items",
    metadata,
    sa.Column("doc_id", Text, primary_key=True),
    sa.Column("fingerprint", String(64), nullable=False),
    sa.Column("state", String(16), nullable=False),  # done | failed
    sa.Column("profile_id", String(16)),
    sa.Column("error", Text),
    sa.Column("origin", Text, nullable=False, server_default=""),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

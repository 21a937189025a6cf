"""Tables, declared once with SQLAlchemy Core; Alembic migrations create them."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

metadata = sa.MetaData()

# PostgreSQL refuses NUL in text, and neither driver can encode a lone surrogate; strangers' text
# (titles, URLs, error messages quoting them) can carry both.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def clean_text(value: str) -> str:
    """``value`` with NUL and lone surrogates replaced by U+FFFD, the only text every backend stores."""
    return _UNSTORABLE.sub("\ufffd", value)


class CleanText(sa.types.TypeDecorator[str]):
    """TEXT that cleans what it binds, so SQLite and PostgreSQL store (and match) the same string."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        return clean_text(value) if isinstance(value, str) else value

feeds = sa.Table(
    "feeds",
    metadata,
    sa.Column("url", CleanText, primary_key=True),
    sa.Column("name", CleanText, nullable=False, server_default=""),
    sa.Column("reliability", sa.String(1), nullable=False, server_default="B"),
    sa.Column("tags", CleanText, nullable=False, server_default=""),
    sa.Column("etag", CleanText),
    sa.Column("last_modified", CleanText),
    sa.Column("body_hash", sa.String(64)),
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_polled", sa.DateTime(timezone=True)),
    sa.Column("last_status", CleanText),
    sa.Column("last_error", CleanText),
    sa.Column("error_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("retry_after", sa.DateTime(timezone=True)),
)

# One row per feed item: what we last saw of it, and whether its analysis finished.
entries = sa.Table(
    "entries",
    metadata,
    sa.Column("feed_url", CleanText, primary_key=True),
    sa.Column("guid", CleanText, primary_key=True),
    sa.Column("link", CleanText, nullable=False),
    sa.Column("title", CleanText, nullable=False, server_default=""),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("entry_json", CleanText, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # pending | done | failed
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error", CleanText),
    sa.Column("profile_id", sa.String(16)),
    sa.Column("text_source", sa.String(16)),
    sa.Column("page_etag", CleanText),
    sa.Column("page_last_modified", CleanText),
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
    sa.Column("doc", CleanText, nullable=False),
    sa.UniqueConstraint("id", "content_hash", name="uq_profile_versions_content"),
)

# The latest version of each profile, denormalised for listing and filtering.
profile_heads = sa.Table(
    "profile_heads",
    metadata,
    sa.Column("id", sa.String(16), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("title", CleanText, nullable=False),
    sa.Column("source", CleanText, nullable=False, server_default=""),
    sa.Column("feed_url", CleanText, nullable=False, server_default=""),
    sa.Column("url", CleanText, nullable=False, server_default=""),
    sa.Column("severity", sa.String(8), nullable=False),
    sa.Column("severity_rank", sa.Integer, nullable=False),
    sa.Column("published", sa.DateTime(timezone=True)),
    sa.Column("analysed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
    sa.Column("techniques", CleanText, nullable=False, server_default=""),
    sa.Column("search", CleanText, nullable=False, server_default=""),
    sa.Column("n_indicators", sa.Integer, nullable=False, server_default="0"),
    sa.Column("n_hunts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("affects_us", sa.Boolean, nullable=False, server_default=sa.false()),  # environment matches
)
sa.Index("ix_profile_heads_analysed", profile_heads.c.analysed_at)
sa.Index("ix_profile_heads_severity", profile_heads.c.severity_rank)

issues = sa.Table(
    "issues",
    metadata,
    sa.Column("n", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("where", CleanText, nullable=False),
    sa.Column("stage", CleanText, nullable=False),
    sa.Column("message", CleanText, nullable=False),
)

# Documents of a backfill archive already analysed: what makes `huntfeed backfill` resumable.
backfill_items = sa.Table(
    "backfill_items",
    metadata,
    sa.Column("doc_id", CleanText, primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # done | failed
    sa.Column("profile_id", sa.String(16)),
    sa.Column("error", CleanText),
    sa.Column("origin", CleanText, nullable=False, server_default=""),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# The analyst's judgement, applied to every later analysis (see huntfeed.environment.feedback).
feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("n", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(24), nullable=False),  # false-positive | not-in-report
    sa.Column("value", CleanText, nullable=False),  # an indicator value or a technique id
    sa.Column("type", sa.String(24), nullable=False, server_default=""),  # indicator type; "" = any
    sa.Column("scope", sa.String(16), nullable=False),  # global | feed | profile
    sa.Column("target", CleanText, nullable=False, server_default=""),  # the feed URL or profile id
    sa.Column("reason", CleanText, nullable=False, server_default=""),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("kind", "value", "type", "scope", "target", name="uq_feedback_rule"),
)

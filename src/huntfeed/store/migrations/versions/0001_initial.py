"""Initial schema: feeds, entries, profile versions and heads, issues.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "feeds",
        sa.Column("url", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False, server_default=""),
        sa.Column("reliability", sa.String(1), nullable=False, server_default="B"),
        sa.Column("tags", sa.Text, nullable=False, server_default=""),
        sa.Column("etag", sa.Text),
        sa.Column("last_modified", sa.Text),
        sa.Column("body_hash", sa.String(64)),
        sa.Column("added_at", TS, nullable=False),
        sa.Column("last_polled", TS),
        sa.Column("last_status", sa.Text),
        sa.Column("last_error", sa.Text),
        sa.Column("error_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("retry_after", TS),
    )
    op.create_table(
        "entries",
        sa.Column("feed_url", sa.Text, primary_key=True),
        sa.Column("guid", sa.Text, primary_key=True),
        sa.Column("link", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False, server_default=""),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("entry_json", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.Text),
        sa.Column("profile_id", sa.String(16)),
        sa.Column("text_source", sa.String(16)),
        sa.Column("page_etag", sa.Text),
        sa.Column("page_last_modified", sa.Text),
        sa.Column("first_seen", TS, nullable=False),
        sa.Column("last_checked", TS),
    )
    op.create_table(
        "profile_versions",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("analysed_at", TS, nullable=False),
        sa.Column("doc", sa.Text, nullable=False),
        sa.UniqueConstraint("id", "content_hash", name="uq_profile_versions_content"),
    )
    op.create_table(
        "profile_heads",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False, server_default=""),
        sa.Column("feed_url", sa.Text, nullable=False, server_default=""),
        sa.Column("url", sa.Text, nullable=False, server_default=""),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("severity_rank", sa.Integer, nullable=False),
        sa.Column("published", TS),
        sa.Column("analysed_at", TS, nullable=False),
        sa.Column("first_seen", TS, nullable=False),
        sa.Column("techniques", sa.Text, nullable=False, server_default=""),
        sa.Column("search", sa.Text, nullable=False, server_default=""),
        sa.Column("n_indicators", sa.Integer, nullable=False, server_default="0"),
        sa.Column("n_hunts", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_profile_heads_analysed", "profile_heads", ["analysed_at"])
    op.create_index("ix_profile_heads_severity", "profile_heads", ["severity_rank"])
    op.create_table(
        "issues",
        sa.Column("n", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("where", sa.Text, nullable=False),
        sa.Column("stage", sa.Text, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("issues", "profile_heads", "profile_versions", "entries", "feeds"):
        op.drop_table(table)

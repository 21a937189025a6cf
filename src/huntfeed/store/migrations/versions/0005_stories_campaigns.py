"""Stories (near-duplicate publications, with their LSH band index) and campaign links.

``story_members``: every publication merged into a story's profile, with its MinHash signature;
``story_bands``: (band, bucket) -> member, the index that makes finding near-duplicates a few
look-ups; ``profile_keys``: (kind, key) -> profile, the index campaign linking looks candidates
up in (shared indicators, named families, CVEs); ``campaign_links``: each link with its rule
and reason.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "story_members",
        sa.Column("member_id", sa.String(16), primary_key=True),
        sa.Column("story_id", sa.String(16), nullable=False),
        sa.Column("url", sa.Text, nullable=False, server_default=""),
        sa.Column("source", sa.Text, nullable=False, server_default=""),
        sa.Column("title", sa.Text, nullable=False, server_default=""),
        sa.Column("published", TS),
        sa.Column("text_chars", sa.Integer, nullable=False, server_default="0"),
        sa.Column("text_hash", sa.String(64), nullable=False, server_default=""),
        sa.Column("signature", sa.Text, nullable=False),
        sa.Column("n_shingles", sa.Integer, nullable=False),
        sa.Column("similarity", sa.Float, nullable=False, server_default="1"),
        sa.Column("added_at", TS, nullable=False),
    )
    op.create_index("ix_story_members_story", "story_members", ["story_id"])
    op.create_table(
        "story_bands",
        sa.Column("band", sa.Integer, primary_key=True),
        sa.Column("bucket", sa.String(16), primary_key=True),
        sa.Column("member_id", sa.String(16), primary_key=True),
    )
    op.create_index("ix_story_bands_member", "story_bands", ["member_id"])
    op.create_table(
        "profile_keys",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("kind", sa.String(24), primary_key=True),
        sa.Column("profile_id", sa.String(16), primary_key=True),
    )
    op.create_index("ix_profile_keys_profile", "profile_keys", ["profile_id"])
    op.create_table(
        "campaign_links",
        sa.Column("a", sa.String(16), primary_key=True),
        sa.Column("b", sa.String(16), primary_key=True),
        sa.Column("rule", sa.String(40), primary_key=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("at", TS, nullable=False),
    )
    op.create_index("ix_campaign_links_b", "campaign_links", ["b"])


def downgrade() -> None:
    for table in ("campaign_links", "profile_keys", "story_bands", "story_members"):
        op.drop_table(table)

"""Tables of stories and campaigns (migration 0005), on the store's metadata."""

from __future__ import annotations

import sqlalchemy as sa

from huntfeed.store.schema import CleanText, metadata

story_members = sa.Table(
    "story_members",
    metadata,
    sa.Column("member_id", sa.String(16), primary_key=True),  # the publication's own profile id (from its URL)
    sa.Column("story_id", sa.String(16), nullable=False),  # the profile the story is published under
    sa.Column("url", CleanText, nullable=False, server_default=""),
    sa.Column("source", CleanText, nullable=False, server_default=""),
    sa.Column("title", CleanText, nullable=False, server_default=""),
    sa.Column("published", sa.DateTime(timezone=True)),
    sa.Column("text_chars", sa.Integer, nullable=False, server_default="0"),
    sa.Column("text_hash", sa.String(64), nullable=False, server_default=""),
    sa.Column("signature", sa.Text, nullable=False),
    sa.Column("n_shingles", sa.Integer, nullable=False),
    sa.Column("similarity", sa.Float, nullable=False, server_default="1"),
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Index("ix_story_members_story", story_members.c.story_id)

story_bands = sa.Table(
    "story_bands",
    metadata,
    sa.Column("band", sa.Integer, primary_key=True),
    sa.Column("bucket", sa.String(16), primary_key=True),
    sa.Column("member_id", sa.String(16), primary_key=True),
)
sa.Index("ix_story_bands_member", story_bands.c.member_id)

profile_keys = sa.Table(
    "profile_keys",
    metadata,
    # key first: the look-up is by key (kind alone would match half the table)
    sa.Column("key", CleanText, primary_key=True),
    sa.Column("kind", sa.String(24), primary_key=True),
    sa.Column("profile_id", sa.String(16), primary_key=True),
)
sa.Index("ix_profile_keys_profile", profile_keys.c.profile_id)

campaign_links = sa.Table(
    "campaign_links",
    metadata,
    sa.Column("a", sa.String(16), primary_key=True),
    sa.Column("b", sa.String(16), primary_key=True),
    sa.Column("rule", sa.String(40), primary_key=True),
    sa.Column("reason", CleanText, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)
sa.Index("ix_campaign_links_b", campaign_links.c.b)

"""The analyst's judgement (false positives, "not in this report") and the affects-us flag of profiles.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("n", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("type", sa.String(24), nullable=False, server_default=""),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("target", sa.Text, nullable=False, server_default=""),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("kind", "value", "type", "scope", "target", name="uq_feedback_rule"),
    )
    with op.batch_alter_table("profile_heads") as batch:
        batch.add_column(sa.Column("affects_us", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("profile_heads") as batch:
        batch.drop_column("affects_us")
    op.drop_table("feedback")

"""Technique feedback for the suggestion ranking.

Revision ID: 0002_technique_feedback
Revises: 0001_foundation
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_technique_feedback"
down_revision: str | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "technique_feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "user_id",
            sa.String(36),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("technique_id", sa.String(64), nullable=False),
        sa.Column("helped", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_technique_feedback_user_id_technique_id",
        "technique_feedback",
        ["user_id", "technique_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_technique_feedback_user_id_technique_id", table_name="technique_feedback")
    op.drop_table("technique_feedback")

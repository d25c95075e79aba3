"""Weekly checks: PEG interference items and, with consent, PHQ-2 / GAD-2.

Revision ID: 0003_weekly_checks
Revises: 0002_technique_feedback
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_weekly_checks"
down_revision: str | None = "0002_technique_feedback"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "weekly_checks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "user_id",
            sa.String(36),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("local_date", sa.Date, nullable=False),
        sa.Column("pain", sa.Float, nullable=True),
        sa.Column("enjoyment", sa.Integer, nullable=False),
        sa.Column("activity", sa.Integer, nullable=False),
        sa.Column("phq_interest", sa.Integer, nullable=True),
        sa.Column("phq_mood", sa.Integer, nullable=True),
        sa.Column("gad_nervous", sa.Integer, nullable=True),
        sa.Column("gad_worry", sa.Integer, nullable=True),
        sa.UniqueConstraint("user_id", "idempotency_key", name="uq_weekly_checks_user_id_key"),
    )
    op.create_index(
        "ix_weekly_checks_user_id_created_at", "weekly_checks", ["user_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_weekly_checks_user_id_created_at", table_name="weekly_checks")
    op.drop_table("weekly_checks")

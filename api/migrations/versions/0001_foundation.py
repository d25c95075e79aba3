"""Foundation: users, conversation turns, check-ins, safety events.

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_foundation"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _user_fk() -> sa.ForeignKey:
    return sa.ForeignKey("users.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locale", sa.String(35), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=True),
    )
    op.create_table(
        "conversation_turns",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(36), _user_fk(), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("text", sa.Text, nullable=True),
        sa.Column("buttons", sa.JSON, nullable=True),
        sa.Column("custom", sa.JSON, nullable=True),
        sa.Column("delivered", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_conversation_turns_user_id_id", "conversation_turns", ["user_id", "id"])
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(36), _user_fk(), nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("local_date", sa.Date, nullable=False),
        sa.Column("pain", sa.Integer, nullable=False),
        sa.Column("fatigue", sa.Integer, nullable=False),
        sa.Column("sleep_quality", sa.Integer, nullable=False),
        sa.Column("stress", sa.Integer, nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("locations", sa.JSON, nullable=True),
        sa.UniqueConstraint(
            "user_id", "idempotency_key", name="uq_checkins_user_id_idempotency_key"
        ),
    )
    op.create_index("ix_checkins_user_id_created_at", "checkins", ["user_id", "created_at"])
    op.create_table(
        "safety_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(36), _user_fk(), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_safety_events_user_id", "safety_events", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_safety_events_user_id", table_name="safety_events")
    op.drop_table("safety_events")
    op.drop_index("ix_checkins_user_id_created_at", table_name="checkins")
    op.drop_table("checkins")
    op.drop_index("ix_conversation_turns_user_id_id", table_name="conversation_turns")
    op.drop_table("conversation_turns")
    op.drop_table("users")

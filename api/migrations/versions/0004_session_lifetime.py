"""Session lifetime: users.last_seen_at for the retention job, revoked_sessions for sign-out.

Revision ID: 0004_session_lifetime
Revises: 0003_weekly_checks
Create Date: 2026-12-02
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_session_lifetime"
down_revision: str | None = "0003_weekly_checks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nobody's activity is known before this revision, so everyone counts as seen now: no
    # one is erased for inactivity earlier than CADENCE_RETENTION_DAYS after the upgrade.
    # SQLite can add a NOT NULL column only with a constant default (and making it NOT NULL
    # later means rebuilding `users`, whose DROP would cascade-delete every child row with
    # foreign keys on), so the upgrade time is that default; PostgreSQL drops it after.
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    sqlite = op.get_context().dialect.name == "sqlite"
    # SQLAlchemy's SQLite DATETIME format (naive, UTC) or a timestamptz literal.
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else now.isoformat(sep=" ")
    op.add_column(
        "users",
        sa.Column(
            "last_seen_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text(f"'{stamp}'"),
        ),
    )
    if not sqlite:
        op.alter_column("users", "last_seen_at", server_default=None)
    op.create_index("ix_users_last_seen_at", "users", ["last_seen_at"])

    op.create_table(
        "revoked_sessions",
        sa.Column("session_id", sa.String(64), primary_key=True),
        sa.Column(
            "user_id",
            sa.String(36),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_revoked_sessions_user_id", "revoked_sessions", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_revoked_sessions_user_id", table_name="revoked_sessions")
    op.drop_table("revoked_sessions")
    op.drop_index("ix_users_last_seen_at", table_name="users")
    op.drop_column("users", "last_seen_at")

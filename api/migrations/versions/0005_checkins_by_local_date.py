"""Check-ins by local day: insights read only a user's last days (#21, finding 6).

Revision ID: 0005_checkins_by_local_date
Revises: 0004_session_lifetime
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_checkins_by_local_date"
down_revision: str | None = "0004_session_lifetime"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_checkins_user_id_local_date", "checkins", ["user_id", "local_date"])


def downgrade() -> None:
    op.drop_index("ix_checkins_user_id_local_date", table_name="checkins")

"""Tables. Change them only together with an Alembic revision in api/migrations/."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC on the way in and out, on SQLite (which drops tzinfo) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: use an aware UTC datetime")
        return value.astimezone(dt.timezone.utc) if value is not None else None

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


class Base(DeclarativeBase):
    pass


def _user_fk() -> Any:
    return ForeignKey("users.id", ondelete="CASCADE")


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The latest authenticated request, to the hour (services/retention.py): the retention
    # job erases people who have been away longer than CADENCE_RETENTION_DAYS.
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Last values the widget sent: used to date check-ins in the user's own day.
    locale: Mapped[str | None] = mapped_column(String(35))
    timezone: Mapped[str | None] = mapped_column(String(64))


class RevokedSession(Base):
    """A signed-out session: its tokens, the first and every renewal, get 401 from now on.
    Rows go when the user is erased (by DELETE /me or by the retention job)."""

    __tablename__ = "revoked_sessions"

    # The tokens' `sid` claim (security.py), which a renewal keeps.
    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), _user_fk(), index=True)
    revoked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConversationTurn(Base):
    __tablename__ = "conversation_turns"
    __table_args__ = (Index("ix_conversation_turns_user_id_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(36), _user_fk())
    role: Mapped[str] = mapped_column(String(8))  # "user" | "bot"
    text: Mapped[str | None] = mapped_column(Text)
    buttons: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    custom: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # False while Rasa has not acknowledged a user turn (it was down): kept, not lost.
    delivered: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Checkin(Base):
    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key", name="uq_checkins_user_id_idempotency_key"),
        Index("ix_checkins_user_id_created_at", "user_id", "created_at"),
        # Insights read a user's last days and count their days (services/checkins.py):
        # a range of this index, however long the history.
        Index("ix_checkins_user_id_local_date", "user_id", "local_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(36), _user_fk())
    idempotency_key: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The user's calendar day when they checked in: insights group by this, not by UTC.
    local_date: Mapped[dt.date] = mapped_column(Date)
    pain: Mapped[int] = mapped_column(Integer)
    fatigue: Mapped[int] = mapped_column(Integer)
    sleep_quality: Mapped[int] = mapped_column(Integer)
    stress: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    locations: Mapped[list[str] | None] = mapped_column(JSON)


class SafetyEvent(Base):
    """That a crisis or red flag happened and when; never what was said."""

    __tablename__ = "safety_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(36), _user_fk(), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class TechniqueFeedback(Base):
    """Whether a suggested technique helped; feeds the ranking's Beta posteriors."""

    __tablename__ = "technique_feedback"
    __table_args__ = (
        Index("ix_technique_feedback_user_id_technique_id", "user_id", "technique_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(36), _user_fk())
    technique_id: Mapped[str] = mapped_column(String(64))
    helped: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class WeeklyCheck(Base):
    """The weekly, optional questions: the PEG scale's two interference items and, only
    with consent, PHQ-2 and GAD-2. Item answers are kept; totals are derived on read."""

    __tablename__ = "weekly_checks"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key", name="uq_weekly_checks_user_id_key"),
        Index("ix_weekly_checks_user_id_created_at", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(36), _user_fk())
    idempotency_key: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    local_date: Mapped[dt.date] = mapped_column(Date)
    # PEG "P": the mean of the daily pain ratings of the 7 days up to this answer, so the
    # person is not asked for a number they gave every day already.
    pain: Mapped[float | None] = mapped_column(Float)
    enjoyment: Mapped[int] = mapped_column(Integer)  # pain's interference, 0–10
    activity: Mapped[int] = mapped_column(Integer)  # pain's interference, 0–10
    # PHQ-2 and GAD-2 items, 0–3 each; all four are null when mood questions were declined.
    phq_interest: Mapped[int | None] = mapped_column(Integer)
    phq_mood: Mapped[int | None] = mapped_column(Integer)
    gad_nervous: Mapped[int | None] = mapped_column(Integer)
    gad_worry: Mapped[int | None] = mapped_column(Integer)

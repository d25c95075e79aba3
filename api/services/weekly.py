"""Storing weekly checks and reading the PEG course from them."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterator, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import retry_when_busy
from api.models import Checkin, User, WeeklyCheck
from api.schemas import PegOut, PegScore, WeeklyCheckIn, WeeklyCheckOut
from api.services import idempotent, in_time_order
from api.services.checkins import EXPORT_BATCH_ROWS, answered_at, local_date

PEG_PAIN_WINDOW_DAYS = 7
# Krebs 2009: a 30% reduction in the PEG score is a clinically meaningful improvement.
MEANINGFUL_DROP_PCT = 30.0


def newest_first(db: Session, user_id: str, limit: int) -> list[WeeklyCheck]:
    return in_time_order.newest_first(db, WeeklyCheck, user_id, limit)


def all_oldest_first(db: Session, user_id: str) -> list[WeeklyCheck]:
    return in_time_order.oldest_first(db, WeeklyCheck, user_id)


def all_in_batches(db: Session, user_id: str) -> Iterator[Sequence[WeeklyCheck]]:
    """Every weekly check, oldest first, a batch at a time (for the export)."""
    return in_time_order.oldest_first_in_batches(db, WeeklyCheck, user_id, EXPORT_BATCH_ROWS)


def weekly_pain(db: Session, user_id: str, today: dt.date) -> float | None:
    """The PEG pain item: mean daily pain over the 7 local days ending `today`, None
    without any. Bounded above too: a weekly check delivered late must not count check-ins
    made after it was answered."""
    since = today - dt.timedelta(days=PEG_PAIN_WINDOW_DAYS - 1)
    pains = db.scalars(
        select(Checkin.pain).where(
            Checkin.user_id == user_id, Checkin.local_date >= since, Checkin.local_date <= today
        )
    ).all()
    return round(statistics.fmean(pains), 1) if pains else None


# Safe to run again after a rollback, like checkins.record.
@retry_when_busy
def record(db: Session, user: User, body: WeeklyCheckIn) -> tuple[WeeklyCheck, bool]:
    """Store once per idempotency key (the outbox may deliver twice); (row, created).

    Dated by when it was answered (see checkins.answered_at), and its pain item is the week
    ending on that day, not on the day it arrived."""
    existing = idempotent.find(db, WeeklyCheck, user.id, body.idempotency_key)
    if existing is not None:
        return existing, False
    answered = answered_at(body.recorded_at)
    day = local_date(answered, body.timezone or user.timezone)
    row = WeeklyCheck(
        user_id=user.id,
        idempotency_key=body.idempotency_key,
        created_at=answered,
        local_date=day,
        pain=weekly_pain(db, user.id, day),
        **body.model_dump(exclude={"user_id", "idempotency_key", "timezone", "recorded_at"}),
    )
    return idempotent.insert_once(db, row)


def peg_course(rows_oldest_first: Sequence[WeeklyCheck]) -> PegOut | None:
    scored = [
        (row.local_date, peg)
        for row in rows_oldest_first
        if (peg := WeeklyCheckOut.model_validate(row).peg) is not None
    ]
    if not scored:
        return None
    (first_date, first), (latest_date, latest) = scored[0], scored[-1]
    change = None if len(scored) < 2 or first == 0 else round((latest - first) / first * 100, 1)
    meaningful = change is not None and change <= -MEANINGFUL_DROP_PCT
    if change is None:
        message = (
            f"Your PEG score is {latest:.1f} out of 10. Answer again next week to see how "
            "it changes."
        )
    elif meaningful:
        message = (
            f"Your PEG score went from {first:.1f} to {latest:.1f}, {abs(change):.0f}% lower. "
            "A drop of 30% or more is usually a real, meaningful improvement."
        )
    else:
        direction = "lower" if change < 0 else "higher"
        message = (
            f"Your PEG score went from {first:.1f} to {latest:.1f} ({abs(change):.0f}% "
            f"{direction}). A drop of 30% or more is usually a meaningful improvement."
        )
    return PegOut(
        scores=[PegScore(local_date=day, peg=peg) for day, peg in scored],
        latest=latest,
        latest_local_date=latest_date,
        first=first,
        first_local_date=first_date,
        n_weeks=len(scored),
        change_pct=change,
        meaningful_improvement=meaningful,
        message=message,
    )

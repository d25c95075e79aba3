"""Storing and reading check-ins."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.db import retry_when_busy
from api.models import Checkin, User, utcnow
from api.schemas import CheckinIn


def newest_first(db: Session, user_id: str, limit: int) -> list[Checkin]:
    query = (
        select(Checkin)
        .where(Checkin.user_id == user_id)
        .order_by(Checkin.created_at.desc(), Checkin.id.desc())
        .limit(limit)
    )
    return list(db.scalars(query))


def all_oldest_first(db: Session, user_id: str) -> list[Checkin]:
    query = (
        select(Checkin).where(Checkin.user_id == user_id).order_by(Checkin.created_at, Checkin.id)
    )
    return list(db.scalars(query))


def _existing(db: Session, user_id: str, key: str) -> Checkin | None:
    return db.scalar(
        select(Checkin).where(Checkin.user_id == user_id, Checkin.idempotency_key == key)
    )


def local_date(now: dt.datetime, timezone: str | None) -> dt.date:
    return now.astimezone(zoneinfo.ZoneInfo(timezone)).date() if timezone else now.date()


# Safe to run again after a rollback: the idempotency key finds a commit whose reply was lost.
@retry_when_busy
def record(db: Session, user: User, body: CheckinIn) -> tuple[Checkin, bool]:
    """Store a check-in once per idempotency key; returns (row, created).

    The action server retries on timeouts, so a replay must return the first row, not
    create a second one or fail.
    """
    existing = _existing(db, user.id, body.idempotency_key)
    if existing is not None:
        return existing, False
    now = utcnow()
    row = Checkin(
        user_id=user.id,
        idempotency_key=body.idempotency_key,
        created_at=now,
        local_date=local_date(now, body.timezone or user.timezone),
        pain=body.pain,
        fatigue=body.fatigue,
        sleep_quality=body.sleep_quality,
        stress=body.stress,
        note=body.note,
        locations=body.locations,
    )
    db.add(row)
    try:
        db.commit()
    except IntegrityError:
        # A concurrent replay won the race on the unique constraint: return its row.
        db.rollback()
        existing = _existing(db, user.id, body.idempotency_key)
        if existing is None:
            raise
        return existing, False
    return row, True


def today_for(user: User, latest: dt.date | None) -> dt.date:
    """The user's calendar day now, never earlier than their latest check-in's day."""
    today = local_date(utcnow(), user.timezone)
    return max(today, latest) if latest else today

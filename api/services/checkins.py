"""Storing and reading check-ins."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator, Sequence

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from api.db import retry_when_busy
from api.models import Checkin, User, utcnow
from api.schemas import CheckinIn
from api.services import idempotent, in_time_order, insights

# Check-ins an export reads and writes at a time (see in_time_order.oldest_first_in_batches):
# enough to make a round trip per batch cheap, few enough that a history of any length
# costs the memory of one batch.
EXPORT_BATCH_ROWS = 500


def newest_first(db: Session, user_id: str, limit: int) -> list[Checkin]:
    return in_time_order.newest_first(db, Checkin, user_id, limit)


def all_in_batches(db: Session, user_id: str) -> Iterator[Sequence[Checkin]]:
    """Every check-in, oldest first, EXPORT_BATCH_ROWS at a time."""
    return in_time_order.oldest_first_in_batches(db, Checkin, user_id, EXPORT_BATCH_ROWS)


def for_insights(db: Session, user_id: str, today: dt.date) -> list[Checkin]:
    """The check-ins insights read: those of the insights.HISTORY_DAYS local days ending
    `today`, oldest first. Nothing older changes the insights but the all-time figures,
    which days_with_data counts in the database."""
    first = today - dt.timedelta(days=insights.HISTORY_DAYS - 1)
    query = (
        select(Checkin)
        .where(Checkin.user_id == user_id, Checkin.local_date.between(first, today))
        .order_by(Checkin.created_at, Checkin.id)
    )
    return list(db.scalars(query))


def days_with_data(db: Session, user_id: str, today: dt.date) -> insights.DaysWithData:
    """How many days up to `today` have check-ins, the first and the latest: SQL aggregates
    over the (user_id, local_date) index, not rows."""
    count, first, latest = db.execute(
        select(
            func.count(distinct(Checkin.local_date)),
            func.min(Checkin.local_date),
            func.max(Checkin.local_date),
        ).where(Checkin.user_id == user_id, Checkin.local_date <= today)
    ).one()
    return insights.DaysWithData(count, first, latest)


def today_for_user(db: Session, user: User) -> dt.date:
    """today_for the user, with their newest check-in's day read from the database."""
    newest = newest_first(db, user.id, 1)
    return today_for(user, newest[0].local_date if newest else None)


def _amend_note(db: Session, row: Checkin, body: CheckinIn) -> Checkin:
    """The scores are saved before the optional note is asked, so the same check-in comes
    again with its note: only a note (and the places it names) may be added, once; the
    scores of the first delivery stand."""
    if body.note and not row.note:
        row.note = body.note
        row.locations = list(dict.fromkeys([*(row.locations or []), *(body.locations or [])]))
        db.commit()
    return row


def local_date(moment: dt.datetime, timezone: str | None) -> dt.date:
    """The calendar day `moment` (aware) falls on in `timezone`; UTC's day without one."""
    zone = zoneinfo.ZoneInfo(timezone) if timezone else dt.timezone.utc
    return moment.astimezone(zone).date()


def answered_at(recorded_at: dt.datetime | None) -> dt.datetime:
    """When the person answered: the action server's `recorded_at` (its outbox may deliver
    hours later, across midnight), or now if it sent none. Never later than now, so a
    sender's clock running a little fast cannot date a row in the future."""
    now = utcnow()
    return now if recorded_at is None else min(recorded_at, now)


# Safe to run again after a rollback: the idempotency key finds a commit whose reply was lost.
@retry_when_busy
def record(db: Session, user: User, body: CheckinIn) -> tuple[Checkin, bool]:
    """Store a check-in once per idempotency key; returns (row, created).

    The action server retries on timeouts, so a replay must return the first row, not
    create a second one or fail. A replay may add the note (see _amend_note), never move
    the row to another day.
    """
    existing = idempotent.find(db, Checkin, user.id, body.idempotency_key)
    if existing is not None:
        return _amend_note(db, existing, body), False
    answered = answered_at(body.recorded_at)
    row = Checkin(
        user_id=user.id,
        idempotency_key=body.idempotency_key,
        created_at=answered,
        local_date=local_date(answered, body.timezone or user.timezone),
        pain=body.pain,
        fatigue=body.fatigue,
        sleep_quality=body.sleep_quality,
        stress=body.stress,
        note=body.note,
        locations=body.locations,
    )
    return idempotent.insert_once(db, row)


def today_for(user: User, latest: dt.date | None) -> dt.date:
    """The user's calendar day now, never earlier than their latest check-in's day."""
    today = local_date(utcnow(), user.timezone)
    return max(today, latest) if latest else today

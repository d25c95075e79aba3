"""Erase everything about a user (our tables and Rasa's tracker store events), or only
their conversation (start over)."""

from __future__ import annotations

import logging

from sqlalchemy import Engine, delete, inspect, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from api.db import checkpoint_sqlite, sqlite_path
from api.models import Base, User
from api.services import transcript

log = logging.getLogger("cadence.api.erase")

TRACKER_EVENTS_TABLE = "events"  # rasa.core.tracker_store.SQLTrackerStore.SQLEvent


def erase_tracker_events(tracker: Engine, user_id: str) -> None:
    """Delete the user's conversation events from Rasa's SQL tracker store.

    Rasa creates the table on first use, so a missing database or table means there is
    nothing to erase. Any other failure propagates so the caller can refuse to report
    success.
    """
    path = sqlite_path(str(tracker.url))
    if path is not None and not path.exists():
        return  # don't create an empty tracker file just to find nothing in it
    with tracker.begin() as connection:
        if not inspect(connection).has_table(TRACKER_EVENTS_TABLE):
            return
        connection.execute(
            text(f"DELETE FROM {TRACKER_EVENTS_TABLE} WHERE sender_id = :uid"), {"uid": user_id}
        )
    checkpoint_sqlite(tracker)


def erase_user_rows(db: Session, user_id: str) -> None:
    """Delete the user's rows from every table that has a user_id, then the user.

    Walking the metadata (instead of naming tables) means a table added later is erased
    too; explicit deletes (instead of ON DELETE CASCADE alone) work on every backend.
    """
    for table in reversed(Base.metadata.sorted_tables):
        if "user_id" in table.c:
            db.execute(delete(table).where(table.c.user_id == user_id))
    db.execute(delete(User).where(User.id == user_id))
    db.commit()
    checkpoint_sqlite(db.get_bind())


class EraseFailed(Exception):
    """The tracker store could not be reached; nothing was deleted."""


def _erase_tracker_events_or_fail(tracker: Engine, user_id: str) -> None:
    try:
        erase_tracker_events(tracker, user_id)
    except SQLAlchemyError as exc:
        # The type only: a database error's text can hold the statement and its values.
        log.error("tracker store erase failed (%s)", type(exc).__name__)
        raise EraseFailed from exc


def erase_late_tracker_events(tracker: Engine, user_id: str) -> None:
    """Once the user's rows are gone: the events of a chat turn Rasa was answering during
    the erase. Rasa saves a turn just before it answers, appending every event of its
    tracker it does not find stored, so such a turn writes the whole session back. The
    user is erased already, so a failure here is logged, not raised."""
    try:
        erase_tracker_events(tracker, user_id)
    except SQLAlchemyError as exc:
        log.warning("tracker store erase of a late turn failed (%s)", type(exc).__name__)


def erase_everything(tracker: Engine, db: Session, user_id: str) -> None:
    """Tracker first: if it fails the user still exists and can simply try again, rather
    than being left with a dead token and conversation events nobody can delete.

    Then the tracker once more, for a chat turn Rasa answered while our rows were still
    there: its events were saved after the first pass. A turn Rasa answers later finds
    the user gone and erases its events itself (routes/chat.py).
    """
    _erase_tracker_events_or_fail(tracker, user_id)
    erase_user_rows(db, user_id)
    erase_late_tracker_events(tracker, user_id)


def erase_conversation(tracker: Engine, db: Session, user_id: str) -> None:
    """Start over: the user's tracker events and visible transcript go; check-ins,
    feedback and settings stay. Tracker first: if it fails, nothing is cleared and the
    user can try again."""
    _erase_tracker_events_or_fail(tracker, user_id)
    transcript.clear(db, user_id)
    db.commit()
    checkpoint_sqlite(db.get_bind())

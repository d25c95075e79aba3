"""Erase everything about a user: our tables and Rasa's tracker store events."""

from __future__ import annotations

import logging

from sqlalchemy import Engine, delete, inspect, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from api.db import checkpoint_sqlite, sqlite_path
from api.models import Base, User

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


def erase_everything(tracker: Engine, db: Session, user_id: str) -> None:
    """Tracker first: if it fails the user still exists and can simply try again, rather
    than being left with a dead token and conversation events nobody can delete."""
    try:
        erase_tracker_events(tracker, user_id)
    except SQLAlchemyError as exc:
        log.exception("tracker store erase failed")
        raise EraseFailed from exc
    erase_user_rows(db, user_id)

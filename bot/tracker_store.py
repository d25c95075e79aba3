"""Cadence's tracker store: Rasa's SQL tracker store, doing less work on every turn.

endpoints.yml names it (`type: bot.tracker_store.CadenceTrackerStore`), Rasa's way of
plugging in a tracker store. It reads and writes Rasa's own `events` table, row for row
as Rasa does (tests/bot/test_tracker_store.py compares the two), so the API's erase and
export and any Rasa tool still work on it. Found by profiling Rasa (py-spy) on FAQ turns:

- Loading selects the stored events' `data` column instead of building an ORM object for
  every event of the session (12 % of Rasa's CPU time under load).
- Saving knows how many of a tracker's events are already stored when it loaded that
  tracker itself, as Rasa does at the start of every turn; Rasa's store counts them with
  a query on every save. A tracker it did not load (a new conversation, say) is counted
  the same way as before. New events go in with one multi-row insert.
- SQLite (the single-machine setup): a pool of open connections, where Rasa's SQLAlchemy
  1.4 opens and closes one for each of a turn's three sessions (6 % of Rasa's CPU time),
  and the same write-ahead log as the API's database, so a commit costs no fsync.
"""

from __future__ import annotations

import itertools
import json
import weakref
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Write-ahead log; in WAL mode `synchronous=NORMAL` is still safe against a crash of
    the process, and saves an fsync on each commit. Listens on the SQLite engine only."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class CadenceTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            url = self.engine.url
            self.engine.dispose()
            # As SQLAlchemy 2.0 does for SQLite files: a pooled connection may be handed
            # to another thread, never to two at once.
            self.engine = sa.create_engine(
                url, poolclass=QueuePool, connect_args={"check_same_thread": False}
            )
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            self.sessionmaker = sessionmaker(bind=self.engine)
        # How many of a tracker's events are stored, for the trackers this store loaded
        # or saved, by id: trackers compare by value and cannot be hashed. Weak, so a
        # turn's tracker is forgotten with the turn.
        self._stored_counts: dict[int, tuple[weakref.ref, int]] = {}

    def _remember_stored(self, tracker: DialogueStateTracker, count: int) -> None:
        key = id(tracker)
        forget = lambda _ref: self._stored_counts.pop(key, None)  # noqa: E731
        self._stored_counts[key] = (weakref.ref(tracker, forget), count)

    def _stored_count(self, tracker: DialogueStateTracker) -> int | None:
        ref, count = self._stored_counts.get(id(tracker), (None, None))
        return count if ref is not None and ref() is tracker else None

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        with self.session_scope() as session:
            query = self._event_query(session, sender_id, fetch_events_from_all_sessions)
            events = [json.loads(data) for (data,) in query.with_entities(self.SQLEvent.data)]
        if not (self.domain and events):
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        self._remember_stored(tracker, len(events))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        with self.session_scope() as session:
            stored = self._stored_count(tracker)
            if stored is None:
                new_events = self._additional_events(session, tracker)
            else:
                new_events = itertools.islice(tracker.events, stored, None)
            rows = [self._row(tracker.sender_id, event) for event in new_events]
            if rows:
                session.execute(sa.insert(self.SQLEvent.__table__), rows)
            session.commit()
        self._remember_stored(tracker, len(tracker.events))

    @staticmethod
    def _row(sender_id: str, event: Event) -> dict[str, Any]:
        """The columns Rasa's `save` fills for one event."""
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }

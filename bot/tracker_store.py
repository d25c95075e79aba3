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

And one thing Rasa's store does not do: it caps a session's length (see
MAX_SESSION_EVENTS and session_continued). Rasa loads, replays and featurizes every event
of the current session on every turn, and a session ends only after
`session_expiration_time` (12 hours) without a message, so a token chatting without pause
grew a session of tens of thousands of events, each turn slower than the last.
"""

from __future__ import annotations

import copy
import itertools
import json
import time
import weakref
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
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


# A session this long (in stored events) is continued in a new one at the start of the next
# turn, so a turn loads at most about this many events. An ordinary conversation is far
# shorter (its session ends after 12 idle hours); only a chat that hardly pauses reaches it.
# Measured on the store alone: a turn of a 20 000-event session (what 12 hours of
# non-stop chat makes) loaded and replayed in 1.4 s; capped, turns load at most ~400
# events in 20-50 ms.
MAX_SESSION_EVENTS = 500
# The user turns copied into the continuing session, counted back from its end or, in a
# form, from the turn that started the form (see _first_carried): so that the dialogue
# policies see the same recent history (MemoizationPolicy remembers 4 states, about two
# turns; Rasa reads a form's turns as the turn that started it) and the actions that look
# back (the last reply, misunderstandings in a row) find what they did.
CARRIED_TURNS = 3


def _first_carried(events: list[Event]) -> int:
    """Where the copied turns start: the CARRIED_TURNS-th user message from the end, moved
    back to CARRIED_TURNS before the message that started a form if it falls inside one
    (Rasa reads a form's turns as the turn that started it), but never more than half of
    MAX_SESSION_EVENTS from the end (a form kept going forever is not copied whole)."""
    users: list[int] = []
    # A message that started or answered a form -> the message that started it.
    form_started_by: dict[int, int] = {}
    form_start: int | None = None
    for i, event in enumerate(events):
        if isinstance(event, UserUttered):
            if form_start is not None:
                form_started_by[i] = form_start
            users.append(i)
        elif isinstance(event, ActiveLoop):
            if not event.name:
                form_start = None
            elif form_start is None and users:
                form_start = form_started_by[users[-1]] = users[-1]
    if not users:
        return len(events)
    earliest = next((i for i in users if i >= len(events) - MAX_SESSION_EVENTS // 2), users[-1])
    position = max(0, len(users) - CARRIED_TURNS)
    while users[position] > earliest and users[position] in form_started_by:
        before_form = users.index(form_started_by[users[position]]) - (CARRIED_TURNS - 1)
        if before_form >= position:
            break
        position = max(0, before_form)
    return max(users[position], earliest)


def session_continued(tracker: DialogueStateTracker, domain: Domain) -> list[Event]:
    """The events that continue `tracker`'s session in a new one, as its next turn starts.

    A new session, as Rasa's session start makes one (ActionExecuted
    `action_session_start`, SessionStarted, the slots carried over, `action_listen`), where
    the next turn carries on as if nothing had happened: the state from before the copied
    turns (every slot, a running form and whether it was rejected, the bot's last message)
    and then copies of those turns (see CARRIED_TURNS). A check-in form half-way through
    stays active and asks its next question. Rasa's own session start runs after 12 idle
    hours, as before, and that one still ends a running form.
    """
    events = list(tracker.events)
    cut = _first_carried(events)
    before = DialogueStateTracker.from_events(tracker.sender_id, events[:cut], domain.slots)
    carried: list[Event] = [ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted()]
    carried += [
        SlotSet(name, slot.value)
        for name, slot in before.slots.items()
        if slot.value != slot.initial_value
    ]
    if before.active_loop_name:
        carried.append(ActiveLoop(before.active_loop_name))
        if before.is_active_loop_rejected:
            carried.append(ActionExecutionRejected(before.active_loop_name))
    last_said = before.latest_bot_utterance
    if last_said is not None and (last_said.text or last_said.data):
        carried.append(BotUttered(last_said.text, last_said.data, last_said.metadata))
    carried.append(ActionExecuted(ACTION_LISTEN_NAME))
    return carried + [copy.deepcopy(event) for event in events[cut:]]


def _has_expired(tracker: DialogueStateTracker, domain: Domain) -> bool:
    """Whether Rasa will start a new session itself on this turn (MessageProcessor.
    _has_session_expired): then it is not continued here."""
    config = domain.session_config
    latest = tracker.get_last_event_for(UserUttered)
    return bool(
        config.are_sessions_enabled()
        and latest is not None
        and (time.time() - latest.timestamp) / 60 > config.session_expiration_time
    )


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
        if not fetch_events_from_all_sessions and self._too_long(tracker, len(events)):
            # Saved with this turn's events: the stored count stays that of the loaded ones.
            tracker.update_with_events(session_continued(tracker, self.domain), self.domain)
        self._remember_stored(tracker, len(events))
        return tracker

    def _too_long(self, tracker: DialogueStateTracker, loaded: int) -> bool:
        """Whether the session should go on in a new one: it reached MAX_SESSION_EVENTS,
        it is waiting for the user (as at the start of every turn), and Rasa is not about
        to start a new one anyway."""
        return (
            loaded >= MAX_SESSION_EVENTS
            and tracker.latest_action_name == ACTION_LISTEN_NAME
            and self.domain is not None
            and not _has_expired(tracker, self.domain)
        )

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

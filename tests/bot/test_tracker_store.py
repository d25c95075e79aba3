"""Cadence's tracker store (bot/tracker_store.py) stores and loads what Rasa's does."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("rasa")

from rasa.core.tracker_store import SQLTrackerStore, TrackerStore  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import (  # noqa: E402
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402
from rasa.utils.endpoints import EndpointConfig  # noqa: E402
from sqlalchemy import event as sa_event  # noqa: E402

from bot.endpoints import endpoints  # noqa: E402
from bot.tracker_store import CadenceTrackerStore  # noqa: E402

DOMAIN = Domain.from_dict({"slots": {"pem": {"type": "bool", "mappings": [{"type": "custom"}]}}})
ROW = "SELECT sender_id, type_name, timestamp, intent_name, action_name, data FROM events"


def run(coroutine):
    return asyncio.run(coroutine)


def turns() -> list[list[Event]]:
    """A conversation as Rasa's processor stores it, one list of new events per turn,
    with a second session starting in the middle of the fourth turn."""
    start = [ActionExecuted("action_session_start"), SessionStarted(),
             ActionExecuted("action_listen")]
    conversation = [start]
    for n in range(6):
        turn: list[Event] = [UserUttered(f"message {n}", {"name": "learn", "confidence": 0.9})]
        if n == 3:
            turn += start[:2]
        turn += [ActionExecuted("action_answer_learn"), BotUttered(f"answer {n}"),
                 SlotSet("pem", n % 2 == 0), ActionExecuted("action_listen")]
        conversation.append(turn)
    return conversation


# Made once, so that every store is given the very same events (timestamps included).
CONVERSATION = turns()


async def converse(stores: list[SQLTrackerStore], sender: str = "someone") -> None:
    """Each turn as Rasa runs it: load the tracker (or start one), add the turn's events,
    save. Turns go round the stores, as they go round Rasa instances behind the gateway."""
    for number, new_events in enumerate(CONVERSATION):
        store = stores[number % len(stores)]
        tracker = await store.retrieve(sender)
        if tracker is None:
            tracker = DialogueStateTracker(sender, DOMAIN.slots)
        for event in new_events:
            tracker.update(event)
        await store.save(tracker)


def rows(store: SQLTrackerStore) -> list[tuple]:
    with store.engine.connect() as connection:
        return [tuple(row) for row in connection.exec_driver_sql(ROW + " ORDER BY id")]


@pytest.fixture
def ours(tmp_path) -> CadenceTrackerStore:
    return CadenceTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "ours.db"))


@pytest.fixture
def rasas(tmp_path) -> SQLTrackerStore:
    return SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "rasas.db"))


def test_a_conversation_is_stored_row_for_row_as_rasas_store_stores_it(ours, rasas):
    run(converse([ours]))
    run(converse([rasas]))
    stored = rows(ours)
    assert stored == rows(rasas)
    assert len(stored) == sum(len(turn) for turn in CONVERSATION)


def test_it_loads_the_same_trackers_as_rasas_store(ours):
    run(converse([ours]))
    rasas_reader = SQLTrackerStore(DOMAIN, dialect="sqlite", db=ours.engine.url.database)
    for load in ("retrieve", "retrieve_full_tracker"):  # the last session, then all of them
        mine = run(getattr(ours, load)("someone"))
        theirs = run(getattr(rasas_reader, load)("someone"))
        assert list(mine.events) == list(theirs.events)
        assert mine.current_state() == theirs.current_state()
    last_session = run(ours.retrieve("someone"))
    assert last_session.latest_message.text == "message 5" and last_session.get_slot("pem") is False
    assert run(ours.retrieve("nobody")) is None


def test_two_instances_taking_turns_lose_and_repeat_nothing(ours, tmp_path):
    other_instance = CadenceTrackerStore(DOMAIN, dialect="sqlite", db=ours.engine.url.database)
    run(converse([ours, other_instance]))
    alone = CadenceTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "alone.db"))
    run(converse([alone]))
    assert rows(ours) == rows(alone)


def test_saving_a_tracker_twice_stores_each_event_once(ours):
    tracker = DialogueStateTracker("someone", DOMAIN.slots)
    tracker.update(ActionExecuted("action_listen"))
    run(ours.save(tracker))  # a tracker this store did not load: counted in the table
    tracker.update(UserUttered("hello"))
    run(ours.save(tracker))
    run(ours.save(tracker))
    assert [row[1] for row in rows(ours)] == ["action", "user"]


def test_sqlite_runs_in_wal_mode_without_an_fsync_per_commit(ours):
    with ours.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_sqlite_connections_are_reused_from_turn_to_turn(ours):
    opened: list[object] = []
    sa_event.listen(ours.engine, "connect", lambda connection, record: opened.append(connection))
    run(converse([ours]))
    # Seven turns, a load and a save each: Rasa's SQLAlchemy 1.4 opened a connection for
    # every one of them.
    assert len(opened) <= 1


def test_endpoints_yml_gives_rasa_this_store_on_the_configured_database(tmp_path):
    # Rasa falls back to an in-memory store, with only a warning, if it cannot load a
    # custom one: conversations would not survive a restart.
    url = f"sqlite:///{tmp_path}/tracker.db"
    config = EndpointConfig.from_dict(endpoints({"TRACKER_STORE_URL": url})["tracker_store"])
    store = TrackerStore.create(config, DOMAIN)
    assert isinstance(store, CadenceTrackerStore)
    assert store.engine.url.database == f"{tmp_path}/tracker.db"

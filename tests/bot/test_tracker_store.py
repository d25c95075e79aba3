"""Cadence's tracker store (bot/tracker_store.py) stores and loads what Rasa's does."""

from __future__ import annotations

import asyncio
import time

import pytest

pytest.importorskip("rasa")

from rasa.core.tracker_store import SQLTrackerStore, TrackerStore  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import (  # noqa: E402
    ActionExecuted,
    ActiveLoop,
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


# --- a session's length is capped ---------------------------------------------------------

FORM_DOMAIN = Domain.from_dict(
    {
        "intents": ["greet", "start_checkin", "inform", "nlu_fallback"],
        "slots": {
            "pem": {"type": "bool", "mappings": [{"type": "custom"}]},
            "pain": {"type": "float", "mappings": [{"type": "custom"}]},
            "fatigue": {"type": "float", "mappings": [{"type": "custom"}]},
        },
        "forms": {"checkin_form": {"required_slots": ["pain", "fatigue"]}},
        "responses": {"utter_greet": [{"text": "hello"}], "utter_thanks": [{"text": "thanks"}]},
        "actions": ["action_answer_learn"],
    }
)


def _user(text: str, intent: str) -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": 0.9})


def _bot(text: str, action: str) -> list[Event]:
    return [ActionExecuted(action), BotUttered(text, metadata={"utter_action": action})]


def _turn(number: int) -> list[Event]:
    """Turn `number` of a conversation that never pauses: a greeting, then a check-in form
    that takes a few wrong answers, then the form's end; made when the turn comes, as Rasa
    makes a turn's events after loading the tracker."""
    listen = ActionExecuted("action_listen")
    step = number % 8
    if step == 0:
        return [_user("hi", "greet"), *_bot("hello", "utter_greet"), listen]
    if step == 1:
        return [_user("check in", "start_checkin"), ActionExecuted("checkin_form"),
                ActiveLoop("checkin_form"), SlotSet("requested_slot", "pain"),
                BotUttered("Pain?"), listen]
    if step in (2, 3, 4, 5):  # not an answer: the form asks again
        return [_user(f"what {number}", "nlu_fallback"), ActionExecuted("checkin_form"),
                BotUttered("Pain?"), listen]
    if step == 6:
        return [_user(str(number % 10), "inform"), SlotSet("pain", number % 10),
                ActionExecuted("checkin_form"), SlotSet("requested_slot", "fatigue"),
                BotUttered("Fatigue?"), listen]
    return [_user("4", "inform"), SlotSet("fatigue", 4), ActionExecuted("checkin_form"),
            ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("pem", number % 3 == 0),
            *_bot("thanks", "utter_thanks"), listen]


def _what_the_next_turn_sees(tracker: DialogueStateTracker) -> dict:
    loop = tracker.active_loop
    return {
        "slots": tracker.current_slot_values(),
        "form": loop and (loop.name, loop.rejected, loop.is_interrupted),
        "latest_message": (tracker.latest_message.text, tracker.latest_message.intent),
        "latest_bot_utterance": (tracker.latest_bot_utterance.text,
                                 tracker.latest_bot_utterance.metadata),
        "latest_action": tracker.latest_action,
        # What the dialogue policies read (Memoization remembers the last 4 states).
        "recent_states": tracker.past_states(FORM_DOMAIN)[-5:],
    }


def test_a_session_that_never_pauses_goes_on_in_new_ones_each_turn_loading_a_bounded_number(
    tmp_path, monkeypatch
):
    monkeypatch.setattr("bot.tracker_store.MAX_SESSION_EVENTS", 120)
    store = CadenceTrackerStore(FORM_DOMAIN, dialect="sqlite", db=str(tmp_path / "long.db"))
    reference = CadenceTrackerStore(FORM_DOMAIN, dialect="sqlite",
                                    db=str(tmp_path / "long.db"))  # reads without the cap
    loaded: list[int] = []
    continued_mid_form = continued = 0
    tracker = DialogueStateTracker("someone", FORM_DOMAIN.slots)
    tracker.update(ActionExecuted("action_listen"))
    run(store.save(tracker))
    for number in range(400):
        with monkeypatch.context() as uncapped:
            uncapped.setattr("bot.tracker_store.MAX_SESSION_EVENTS", 10**9)
            before = run(reference.retrieve("someone"))
        tracker = run(store.retrieve("someone"))
        loaded.append(len(tracker.events))
        if len(tracker.events) > len(before.events):
            # Went on in a new session: the next turn sees the same conversation.
            continued += 1
            continued_mid_form += before.active_loop_name is not None
            assert _what_the_next_turn_sees(tracker) == _what_the_next_turn_sees(before)
        for event in _turn(number):
            tracker.update(event)
        run(store.save(tracker))

    assert max(loaded) <= 120 + 80  # the cap, and the continuing session's start
    assert continued >= 30 and continued_mid_form >= 15
    # Each session after the first begins with Rasa's session start.
    everything = run(store.retrieve_full_tracker("someone"))
    starts = [i for i, e in enumerate(everything.events) if isinstance(e, SessionStarted)]
    assert len(starts) == continued
    assert all(everything.events[i - 1] == ActionExecuted("action_session_start")
               for i in starts)


def test_a_long_session_after_twelve_idle_hours_is_left_to_rasas_own_session_start(
    tmp_path, monkeypatch
):
    monkeypatch.setattr("bot.tracker_store.MAX_SESSION_EVENTS", 10)
    store = CadenceTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "idle.db"))
    tracker = DialogueStateTracker("someone", DOMAIN.slots)
    assert DOMAIN.session_config.session_expiration_time < 13 * 60
    long_ago = time.time() - 13 * 3600
    for n in range(6):
        tracker.update(UserUttered(f"message {n}", timestamp=long_ago))
        tracker.update(ActionExecuted("action_listen", timestamp=long_ago))
    run(store.save(tracker))
    loaded = run(store.retrieve("someone"))
    assert not any(isinstance(e, SessionStarted) for e in loaded.events)
    assert len(loaded.events) == 12

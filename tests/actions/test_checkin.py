"""Check-in actions against a real API on a temporary database."""

from __future__ import annotations

import pytest
import requests
from rasa_sdk.executor import CollectingDispatcher

from actions import outbox
from actions.checkin import (
    ActionCancelCheckin,
    ActionStartCheckin,
    ActionSubmitCheckin,
    ValidateCheckinForm,
)
from tests.support.trackers import tracker_for

FILLED = {"pain": 6.0, "fatigue": 7.0, "sleep_quality": 3.0, "stress": 5.0,
          "checkin_note": "worse after shopping", "body_location": ["lower back", "knees"],
          "timezone": "Europe/London"}


def stored_checkins(api, user_id):
    env = api.env()
    response = requests.get(
        f"{api.api_url}/api/v1/internal/users/{user_id}/checkins",
        headers={"X-Service-Key": env["SERVICE_KEY"]}, params={"limit": 50}, timeout=10,
    )
    response.raise_for_status()
    return response.json()


async def test_submit_saves_the_checkin_and_clears_the_form(api, user_id):
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitCheckin().run(dispatcher, tracker_for(user_id, FILLED), {})

    rows = stored_checkins(api, user_id)
    assert len(rows) == 1
    row = rows[0]
    assert (row["pain"], row["fatigue"], row["sleep_quality"], row["stress"]) == (6, 7, 3, 5)
    assert row["note"] == "worse after shopping"
    assert row["locations"] == ["lower back", "knees"]
    assert "Saved" in dispatcher.messages[0]["text"]
    assert "Pain 6, fatigue 7, sleep 3, stress 5" in dispatcher.messages[0]["text"]
    cleared = {e["name"] for e in events if e["event"] == "slot" and e["value"] is None}
    assert {"pain", "fatigue", "sleep_quality", "stress", "checkin_note"} <= cleared
    assert outbox.pending() == []


async def test_api_down_keeps_the_checkin_and_says_so(api, user_id, monkeypatch):
    from actions import api_client

    down = api_client.settings.__class__(**{**api_client.settings.__dict__,
                                            "api_url": "http://127.0.0.1:9"})
    monkeypatch.setattr(api_client, "settings", down)
    dispatcher = CollectingDispatcher()
    await ActionSubmitCheckin().run(dispatcher, tracker_for(user_id, FILLED), {})

    assert "can't reach" in dispatcher.messages[0]["text"]
    assert len(outbox.pending()) == 1
    assert stored_checkins(api, user_id) == []

    # The API is back: the flusher delivers it once, and again is a no-op.
    monkeypatch.setattr(api_client, "settings", outbox.settings)
    assert await outbox.flush() == 1
    assert await outbox.flush() == 0
    assert len(stored_checkins(api, user_id)) == 1


async def test_redelivery_is_not_duplicated(api, user_id):
    from actions.checkin import build_checkin

    checkin = build_checkin(tracker_for(user_id, FILLED))
    outbox.put(checkin)
    await outbox.deliver(checkin)
    outbox.put(checkin)  # e.g. a reply lost after the API stored it
    await outbox.flush()
    assert len(stored_checkins(api, user_id)) == 1


async def test_checkin_for_an_erased_user_is_dropped_not_kept(api):
    from actions.checkin import build_checkin

    checkin = build_checkin(tracker_for("no-such-user", FILLED))
    outbox.put(checkin)
    await outbox.flush()
    assert outbox.pending() == []


@pytest.mark.parametrize(
    ("text", "entities", "expected"),
    [
        ("/inform{\"score\": 7}", [{"entity": "score", "value": 7}], 7.0),
        ("about a 6", [], 6.0),
        ("seven", [], 7.0),
        ("12", [], None),
        ("six or seven", [], None),
    ],
)
async def test_validation_reads_taps_and_typing(text, entities, expected):
    dispatcher = CollectingDispatcher()
    tracker = tracker_for("u1", {}, text=text, entities=entities, active_loop="checkin_form")
    result = await ValidateCheckinForm().validate_pain(text, dispatcher, tracker, {})
    assert result == {"pain": expected}
    if expected is None:
        assert "0 to 10" in dispatcher.messages[0]["text"]
    else:
        assert dispatcher.messages == []


async def test_note_can_be_skipped():
    dispatcher = CollectingDispatcher()
    tracker = tracker_for("u1", {}, text="/deny", intent="deny")
    assert await ValidateCheckinForm().validate_checkin_note("/deny", dispatcher, tracker, {}) == {
        "checkin_note": ""
    }


async def test_resuming_an_interrupted_checkin_says_answers_were_kept():
    dispatcher = CollectingDispatcher()
    await ActionStartCheckin().run(dispatcher, tracker_for("u1", {"pain": 4.0}), {})
    assert "where we left off" in dispatcher.messages[0]["text"]


async def test_cancel_saves_nothing(api, user_id):
    dispatcher = CollectingDispatcher()
    events = await ActionCancelCheckin().run(dispatcher, tracker_for(user_id, FILLED), {})
    assert stored_checkins(api, user_id) == []
    assert all(e["value"] is None for e in events if e["event"] == "slot")


async def test_same_as_yesterday_copies_the_last_checkin(api, user_id):
    from actions.checkin import build_checkin

    checkin = build_checkin(tracker_for(user_id, FILLED))
    await outbox.deliver(checkin)
    dispatcher = CollectingDispatcher()
    tracker = tracker_for(user_id, {}, text="same as yesterday", active_loop="checkin_form")
    result = await ValidateCheckinForm().validate_pain("same as yesterday", dispatcher, tracker, {})
    assert result == {"pain": 6.0, "fatigue": 7.0, "sleep_quality": 3.0, "stress": 5.0}
    assert "Pain 6, fatigue 7, sleep 3, stress 5" in dispatcher.messages[0]["text"]


async def test_same_as_yesterday_without_history_asks_normally(api, user_id):
    dispatcher = CollectingDispatcher()
    tracker = tracker_for(user_id, {}, text="same as yesterday", active_loop="checkin_form")
    result = await ValidateCheckinForm().validate_pain("same as yesterday", dispatcher, tracker, {})
    assert result == {"pain": None}
    assert "0 to 10" in dispatcher.messages[0]["text"]

"""Weekly questions (PEG items, PHQ-2 / GAD-2 with consent) against a real API."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from rasa_sdk.executor import CollectingDispatcher

from actions import outbox
from actions.checkin import build_checkin
from actions.weekly import (
    ATTRIBUTION,
    ActionDeclineWeekly,
    ActionOfferWeekly,
    ActionSubmitWeekly,
    ValidateWeeklyForm,
    mood_message,
)
from tests.support.trackers import tracker_for

FORM_SLOTS = ["peg_enjoyment", "peg_activity", "mood_consent", "phq_interest", "phq_mood",
              "gad_nervous", "gad_worry"]
PEG_ONLY = {"peg_enjoyment": 6.0, "peg_activity": 4.0, "mood_consent": False,
            "timezone": "Europe/London"}


def weekly_rows(api, user_id):
    response = requests.get(
        f"{api.internal_api_url}/api/v1/internal/users/{user_id}/weekly-checks",
        headers={"X-Service-Key": api.env()["SERVICE_KEY"]}, params={"limit": 50}, timeout=10,
    )
    response.raise_for_status()
    return response.json()


def slots_set(events) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def test_offered_when_never_answered_then_not_again_the_same_week(api, user_id):
    dispatcher = CollectingDispatcher()
    events = await ActionOfferWeekly().run(dispatcher, tracker_for(user_id, {}), {})
    assert slots_set(events)["weekly_offer"] is True
    assert dispatcher.messages[0]["response"] == "utter_weekly_offer"

    await ActionSubmitWeekly().run(CollectingDispatcher(), tracker_for(user_id, PEG_ONLY), {})
    later = CollectingDispatcher()
    events = await ActionOfferWeekly().run(later, tracker_for(user_id, {}), {})
    assert slots_set(events)["weekly_offer"] is False
    assert later.messages == []


async def test_not_now_is_respected_for_the_rest_of_the_day(api, user_id):
    declined = await ActionDeclineWeekly().run(CollectingDispatcher(),
                                               tracker_for(user_id, {"timezone": "UTC"}), {})
    today = slots_set(declined)["weekly_declined_on"]
    assert today == dt.datetime.now(dt.timezone.utc).date().isoformat()
    events = await ActionOfferWeekly().run(
        CollectingDispatcher(), tracker_for(user_id, {"weekly_declined_on": today}), {}
    )
    assert slots_set(events)["weekly_offer"] is False


async def test_peg_only_when_mood_questions_are_declined(api, user_id):
    # One daily check-in this week gives the PEG pain item.
    await outbox.deliver(build_checkin(tracker_for(user_id, {
        "pain": 5.0, "fatigue": 5.0, "sleep_quality": 5.0, "stress": 5.0})))
    form = ValidateWeeklyForm()
    required = await form.required_slots(FORM_SLOTS, CollectingDispatcher(),
                                         tracker_for(user_id, PEG_ONLY), {})
    assert required == ["peg_enjoyment", "peg_activity", "mood_consent"]

    dispatcher = CollectingDispatcher()
    events = await ActionSubmitWeekly().run(dispatcher, tracker_for(user_id, PEG_ONLY), {})
    [row] = weekly_rows(api, user_id)
    assert (row["pain"], row["enjoyment"], row["activity"], row["peg"]) == (5.0, 6, 4, 5.0)
    assert row["phq2"] is None and row["gad2"] is None
    [message] = dispatcher.messages
    assert "PEG score is 5.0" in message["text"]
    assert all(value is None for name, value in slots_set(events).items()
               if name in FORM_SLOTS)
    assert outbox.pending() == []


@pytest.mark.parametrize(
    ("answers", "expect"),
    [
        ((2, 1, 0, 1), "talk to a professional"),  # PHQ-2 = 3
        ((0, 0, 2, 2), "talk to a professional"),  # GAD-2 = 4
        ((1, 1, 1, 1), "below the level"),  # 2 and 2
    ],
)
async def test_mood_screens_with_consent(api, user_id, answers, expect):
    slots = {**PEG_ONLY, "mood_consent": True,
             **dict(zip(FORM_SLOTS[3:], map(float, answers), strict=True))}
    form = ValidateWeeklyForm()
    required = await form.required_slots(FORM_SLOTS, CollectingDispatcher(),
                                         tracker_for(user_id, slots), {})
    assert required == FORM_SLOTS
    dispatcher = CollectingDispatcher()
    await ActionSubmitWeekly().run(dispatcher, tracker_for(user_id, slots), {})
    [row] = weekly_rows(api, user_id)
    assert (row["phq2"], row["gad2"]) == (answers[0] + answers[1], answers[2] + answers[3])
    said = dispatcher.messages[-1]["text"]
    assert expect in said
    assert ATTRIBUTION in said  # Pfizer's terms: keep the attribution


@pytest.mark.parametrize(
    ("text", "entities", "expected"),
    [
        ('/inform{"score": 2}', [{"entity": "score", "value": 2}], 2.0),
        ("several days", [], 1.0),
        ("nearly every day", [], 3.0),
        ("8", [], None),
    ],
)
async def test_frequency_answers_by_tap_or_typing(text, entities, expected):
    dispatcher = CollectingDispatcher()
    tracker = tracker_for("u1", {}, text=text, entities=entities, active_loop="weekly_form")
    result = await ValidateWeeklyForm().validate_phq_mood(text, dispatcher, tracker, {})
    assert result == {"phq_mood": expected}
    if expected is None:
        assert "several days" in dispatcher.messages[0]["text"]


async def test_interference_answers_use_the_0_to_10_scale():
    dispatcher = CollectingDispatcher()
    tracker = tracker_for("u1", {}, text="12", active_loop="weekly_form")
    result = await ValidateWeeklyForm().validate_peg_activity("12", dispatcher, tracker, {})
    assert result == {"peg_activity": None}
    assert "0 to 10" in dispatcher.messages[0]["text"]
    ok = await ValidateWeeklyForm().validate_peg_activity(
        "about a 6", CollectingDispatcher(), tracker_for("u1", {}, text="about a 6"), {}
    )
    assert ok == {"peg_activity": 6.0}


async def test_weekly_answers_wait_in_the_outbox_when_the_api_is_down(
    api, api_down, user_id, monkeypatch
):
    from actions import api_client

    dispatcher = CollectingDispatcher()
    await ActionSubmitWeekly().run(dispatcher, tracker_for(user_id, PEG_ONLY), {})
    assert "keeping your answers safe" in dispatcher.messages[0]["text"]
    assert len(outbox.pending()) == 1
    monkeypatch.setattr(api_client, "settings", outbox.settings)
    assert await outbox.flush() == 1
    assert len(weekly_rows(api, user_id)) == 1


def test_a_positive_mood_screen_says_where_to_turn_with_thoughts_of_self_harm() -> None:
    positive = mood_message({"phq_interest": 2, "phq_mood": 2, "gad_nervous": 0, "gad_worry": 0})
    negative = mood_message({"phq_interest": 0, "phq_mood": 1, "gad_nervous": 0, "gad_worry": 0})
    assert "thoughts of harming yourself" in positive and "Get help now" in positive
    assert "thoughts of harming yourself" not in negative

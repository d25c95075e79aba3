"""Check-in actions against a real API on a temporary database."""

from __future__ import annotations

import time

import pytest
import requests
from rasa_sdk.executor import CollectingDispatcher

from actions import outbox
from actions.checkin import (
    SCALES,
    ActionAskCheckinCopyOk,
    ActionAskCheckinNote,
    ActionCancelCheckin,
    ActionConfirmStopCheckin,
    ActionOfferCheckin,
    ActionStartCheckin,
    ActionSubmitCheckin,
    ValidateCheckinForm,
    build_checkin,
)
from tests.support.trackers import tracker_for

FILLED = {
    "pain": 6.0,
    "fatigue": 7.0,
    "sleep_quality": 3.0,
    "stress": 5.0,
    "checkin_note": "worse after shopping",
    "body_location": ["lower back", "knees"],
    "timezone": "Europe/London",
}


def stored_checkins(api, user_id):
    env = api.env()
    response = requests.get(
        f"{api.internal_api_url}/api/v1/internal/users/{user_id}/checkins",
        headers={"X-Service-Key": env["SERVICE_KEY"]},
        params={"limit": 50},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


SCORES = {k: FILLED[k] for k in ("pain", "fatigue", "sleep_quality", "stress", "timezone")}


def slot_events(events) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def test_the_note_question_saves_the_scores_in_the_same_turn(api, user_id):
    """Four answers and the check-in is kept: the fifth bot turn saves and asks the note."""
    dispatcher = CollectingDispatcher()
    events = await ActionAskCheckinNote().run(dispatcher, tracker_for(user_id, SCORES), {})

    rows = stored_checkins(api, user_id)
    assert [
        (r["pain"], r["fatigue"], r["sleep_quality"], r["stress"], r["note"]) for r in rows
    ] == [(6, 7, 3, 5, None)]
    [message] = dispatcher.messages
    assert "Saved" in message["text"] and "Pain 6, fatigue 7, sleep 3, stress 5" in message["text"]
    assert "Anything to add" in message["text"]
    assert [b["title"] for b in message["buttons"]] == ["Nothing to add"]
    key = slot_events(events)["checkin_key"]
    assert key and outbox.pending() == []

    # Asked again after an interruption: the question only, nothing saved twice.
    again = CollectingDispatcher()
    await ActionAskCheckinNote().run(
        again, tracker_for(user_id, {**SCORES, "checkin_key": key}), {}
    )
    assert "Saved" not in again.messages[0]["text"]
    assert len(stored_checkins(api, user_id)) == 1


async def test_a_note_amends_the_saved_checkin_and_the_form_is_cleared(api, user_id):
    ask = await ActionAskCheckinNote().run(CollectingDispatcher(), tracker_for(user_id, SCORES), {})
    key = slot_events(ask)["checkin_key"]
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitCheckin().run(
        dispatcher, tracker_for(user_id, {**FILLED, "checkin_key": key}), {}
    )
    [row] = stored_checkins(api, user_id)
    assert row["note"] == "worse after shopping"
    assert row["locations"] == ["lower back", "knees"]
    assert "added your note" in dispatcher.messages[0]["text"]
    assert {b["payload"] for b in dispatcher.messages[0]["buttons"]} == {
        "/ask_technique",
        "/show_progress",
    }
    cleared = {name for name, value in slot_events(events).items() if value is None}
    assert {"pain", "fatigue", "sleep_quality", "stress", "checkin_note", "checkin_key"} <= cleared
    assert outbox.pending() == []


async def test_nothing_to_add_keeps_the_checkin_as_it_was(api, user_id):
    ask = await ActionAskCheckinNote().run(CollectingDispatcher(), tracker_for(user_id, SCORES), {})
    dispatcher = CollectingDispatcher()
    await ActionSubmitCheckin().run(
        dispatcher,
        tracker_for(user_id, {**SCORES, "checkin_note": "", **slot_events(ask)}),
        {},
    )
    [row] = stored_checkins(api, user_id)
    assert row["note"] is None
    assert "All done" in dispatcher.messages[0]["text"]


async def test_api_down_keeps_the_checkin_and_its_note_and_says_so(
    api, api_down, user_id, monkeypatch
):
    from actions import api_client

    dispatcher = CollectingDispatcher()
    ask = await ActionAskCheckinNote().run(dispatcher, tracker_for(user_id, SCORES), {})
    assert "can't reach" in dispatcher.messages[0]["text"]
    assert "Anything to add" in dispatcher.messages[0]["text"]
    assert len(outbox.pending()) == 1

    # The note joins the waiting check-in rather than queueing a second one.
    noted = CollectingDispatcher()
    await ActionSubmitCheckin().run(noted, tracker_for(user_id, {**FILLED, **slot_events(ask)}), {})
    assert "kept your note" in noted.messages[0]["text"]
    [waiting] = outbox.pending()
    assert waiting["note"] == "worse after shopping"
    assert stored_checkins(api, user_id) == []

    # The API is back: the flusher delivers it once, and again is a no-op.
    monkeypatch.setattr(api_client, "settings", outbox.settings)
    assert await outbox.flush() == 1
    assert await outbox.flush() == 0
    [row] = stored_checkins(api, user_id)
    assert (row["pain"], row["note"]) == (6, "worse after shopping")


async def test_a_checkin_delivered_after_midnight_keeps_the_day_it_was_typed(
    api, api_down, user_id, monkeypatch
):
    """Scores given at 23:50 in Sydney, the API down until after midnight: the check-in
    (and the note that joins it) is dated by when the user typed, not by delivery."""
    import datetime as dt

    from actions import api_client

    typed = dt.datetime(2026, 11, 30, 12, 50, tzinfo=dt.timezone.utc)  # 23:50 in Sydney
    key_set = {
        "event": "slot",
        "name": "checkin_key",
        "value": "k-sydney",
        "timestamp": typed.timestamp(),
    }
    slots = {**FILLED, "timezone": "Australia/Sydney", "checkin_key": "k-sydney"}
    await ActionSubmitCheckin().run(
        CollectingDispatcher(), tracker_for(user_id, slots, events=[key_set]), {}
    )
    [waiting] = outbox.pending()
    assert waiting["recorded_at"] == "2026-11-30T12:50:00+00:00"

    monkeypatch.setattr(api_client, "settings", outbox.settings)
    assert await outbox.flush() == 1
    [row] = stored_checkins(api, user_id)
    assert row["local_date"] == "2026-11-30"
    assert row["note"] == "worse after shopping"


async def test_redelivery_is_not_duplicated(api, user_id):
    checkin = build_checkin(tracker_for(user_id, FILLED))
    outbox.put(checkin)
    await outbox.deliver(checkin)
    outbox.put(checkin)  # e.g. a reply lost after the API stored it
    await outbox.flush()
    assert len(stored_checkins(api, user_id)) == 1


async def test_checkin_for_an_erased_user_is_dropped_not_kept(api):
    checkin = build_checkin(tracker_for("no-such-user", FILLED))
    outbox.put(checkin)
    await outbox.flush()
    assert outbox.pending() == []


@pytest.mark.parametrize(
    ("text", "entities", "expected"),
    [
        ('/inform{"score": 7}', [{"entity": "score", "value": 7}], 7.0),
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


async def test_start_over_at_the_note_question_is_never_saved_as_a_note():
    # "Start over" reaches Rasa as the API's own "/restart"; it once became the day's note.
    dispatcher = CollectingDispatcher()
    tracker = tracker_for("u1", {**SCORES, "checkin_key": "k"}, text="/restart", intent="restart")
    result = await ValidateCheckinForm().validate_checkin_note("/restart", dispatcher, tracker, {})
    assert result == {"checkin_note": None}


async def test_resuming_an_interrupted_checkin_says_which_answers_were_kept():
    dispatcher = CollectingDispatcher()
    await ActionStartCheckin().run(dispatcher, tracker_for("u1", {"pain": 4.0}), {})
    assert dispatcher.messages[0]["response"] == "utter_checkin_resume"
    assert dispatcher.messages[0]["kept"] == "pain 4"


def slots_set(events) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def test_a_score_typed_with_no_checkin_running_is_kept_for_the_checkin_it_offers():
    dispatcher = CollectingDispatcher()
    events = await ActionOfferCheckin().run(
        dispatcher, tracker_for("u1", {}, text="my pain is 9 today"), {}
    )
    assert dispatcher.messages[0]["response"] == "utter_offer_checkin_kept"
    assert dispatcher.messages[0]["kept"] == "pain 9"
    kept = slots_set(events)["typed_scores"]
    # The check-in started from the offer's button asks only what is missing.
    dispatcher = CollectingDispatcher()
    events = await ActionStartCheckin().run(
        dispatcher, tracker_for("u1", {"typed_scores": kept}, text="/start_checkin"), {}
    )
    assert slots_set(events) == {"pain": 9.0, "typed_scores": None}
    assert dispatcher.messages[0]["response"] == "utter_checkin_with_typed"


async def test_a_message_without_a_named_score_gets_the_plain_offer():
    dispatcher = CollectingDispatcher()
    events = await ActionOfferCheckin().run(
        dispatcher, tracker_for("u1", {}, text="about a 7 today"), {}
    )
    assert dispatcher.messages[0]["response"] == "utter_offer_checkin"
    assert events == []


async def test_a_score_typed_yesterday_does_not_fill_in_todays_checkin():
    stale = {"scores": {"pain": 9}, "at": time.time() - 13 * 60 * 60}
    dispatcher = CollectingDispatcher()
    events = await ActionStartCheckin().run(
        dispatcher, tracker_for("u1", {"typed_scores": stale}, text="/start_checkin"), {}
    )
    assert slots_set(events) == {"typed_scores": None}
    assert dispatcher.messages[0]["response"] == "utter_checkin_intro"


async def test_scores_named_in_the_message_that_starts_the_checkin_are_kept():
    dispatcher = CollectingDispatcher()
    events = await ActionStartCheckin().run(
        dispatcher,
        tracker_for(
            "u1", {}, text="start my check-in, pain 6 and stress 3", intent="start_checkin"
        ),
        {},
    )
    assert slots_set(events) == {"pain": 6.0, "stress": 3.0, "typed_scores": None}
    assert dispatcher.messages[0]["kept"] == "pain 6, stress 3"


async def test_cancel_saves_nothing(api, user_id):
    dispatcher = CollectingDispatcher()
    events = await ActionCancelCheckin().run(dispatcher, tracker_for(user_id, SCORES), {})
    assert stored_checkins(api, user_id) == []
    assert dispatcher.messages[0]["response"] == "utter_checkin_stopped"
    assert all(e["value"] is None for e in events if e["event"] == "slot")


async def test_stop_at_the_note_question_says_the_scores_are_kept():
    saved = tracker_for("u1", {**SCORES, "checkin_key": "k"})
    confirm, cancel = CollectingDispatcher(), CollectingDispatcher()
    await ActionConfirmStopCheckin().run(confirm, saved, {})
    await ActionCancelCheckin().run(cancel, saved, {})
    assert confirm.messages[0]["response"] == "utter_checkin_confirm_skip_note"
    assert cancel.messages[0]["response"] == "utter_checkin_saved_without_note"
    unsaved = CollectingDispatcher()
    await ActionConfirmStopCheckin().run(unsaved, tracker_for("u1", SCORES), {})
    assert unsaved.messages[0]["response"] == "utter_checkin_confirm_stop"


async def test_same_as_yesterday_copies_the_last_checkin_then_asks_to_confirm(api, user_id):
    checkin = build_checkin(tracker_for(user_id, FILLED))
    await outbox.deliver(checkin)
    dispatcher = CollectingDispatcher()
    tracker = tracker_for(user_id, {}, text="same as yesterday", active_loop="checkin_form")
    result = await ValidateCheckinForm().validate_pain("same as yesterday", dispatcher, tracker, {})
    assert result == {
        "pain": 6.0,
        "fatigue": 7.0,
        "sleep_quality": 3.0,
        "stress": 5.0,
        "checkin_copied": ["pain", "fatigue", "sleep_quality", "stress"],
    }
    slots = ["pain", "fatigue", "sleep_quality", "stress", "checkin_copy_ok", "checkin_note"]
    copied = tracker_for(user_id, result, active_loop="checkin_form")
    assert await ValidateCheckinForm().required_slots(slots, dispatcher, copied, {}) == slots
    asked = CollectingDispatcher()
    await ActionAskCheckinCopyOk().run(asked, copied, {})
    assert "Pain 6, fatigue 7, sleep 3, stress 5" in asked.messages[0]["text"]
    assert [b["payload"] for b in asked.messages[0]["buttons"]] == ["/affirm", "/deny"]
    # Nothing is saved before the yes (the note question saves).
    assert len(stored_checkins(api, user_id)) == 1


async def test_a_fresh_checkin_does_not_ask_to_confirm_copied_scores():
    slots = ["pain", "fatigue", "sleep_quality", "stress", "checkin_copy_ok", "checkin_note"]
    tracker = tracker_for("u1", {}, active_loop="checkin_form")
    form = ValidateCheckinForm()
    required = await form.required_slots(slots, CollectingDispatcher(), tracker, {})
    assert "checkin_copy_ok" not in required


async def test_no_to_copied_scores_goes_one_by_one():
    dispatcher = CollectingDispatcher()
    copied = {**{scale: 6.0 for scale in SCALES}, "checkin_copied": list(SCALES)}
    tracker = tracker_for("u1", copied, intent="deny")
    result = await ValidateCheckinForm().validate_checkin_copy_ok(False, dispatcher, tracker, {})
    assert result == {
        "pain": None,
        "fatigue": None,
        "sleep_quality": None,
        "stress": None,
        "checkin_copied": None,
        "checkin_copy_ok": None,
    }
    assert dispatcher.messages[0]["text"] == "OK, let's go one by one."


async def test_a_conversation_from_before_copies_were_listed_still_confirms_all_four():
    # Trackers saved before `checkin_copied` became a list hold True (Rasa reads it as [True]).
    for old in (True, [True]):
        tracker = tracker_for("u1", {**SCORES, "checkin_copied": old}, intent="deny")
        result = await ValidateCheckinForm().validate_checkin_copy_ok(
            False, CollectingDispatcher(), tracker, {}
        )
        assert {scale: result[scale] for scale in SCALES} == dict.fromkeys(SCALES)


async def test_same_as_yesterday_later_in_the_checkin_copies_only_the_rest(api, user_id):
    await outbox.deliver(build_checkin(tracker_for(user_id, FILLED)))
    form = ValidateCheckinForm()
    today = {"pain": 8.0, "timezone": "Europe/London"}
    dispatcher = CollectingDispatcher()
    tracker = tracker_for(user_id, today, text="same as yesterday", active_loop="checkin_form")
    result = await form.validate_fatigue("same as yesterday", dispatcher, tracker, {})
    assert result == {
        "fatigue": 7.0,
        "sleep_quality": 3.0,
        "stress": 5.0,
        "checkin_copied": ["fatigue", "sleep_quality", "stress"],
    }
    assert dispatcher.messages == []  # the form asks to confirm next

    copied = tracker_for(user_id, {**today, **result}, active_loop="checkin_form")
    asked = CollectingDispatcher()
    await ActionAskCheckinCopyOk().run(asked, copied, {})
    assert asked.messages[0]["text"] == (
        "Today so far: pain 8. I've copied the rest from your last check-in: "
        "fatigue 7, sleep 3, stress 5. Save these for today?"
    )

    # "No": only the copied scores are asked again; the pain typed today stays.
    said_no = CollectingDispatcher()
    reset = await form.validate_checkin_copy_ok(
        False, said_no, tracker_for(user_id, {**today, **result}, intent="deny"), {}
    )
    assert reset == {
        "fatigue": None,
        "sleep_quality": None,
        "stress": None,
        "checkin_copied": None,
        "checkin_copy_ok": None,
    }
    assert said_no.messages[0]["text"] == "OK, let's go through the rest one by one."


async def test_same_as_yesterday_at_the_last_scale_copies_that_one(api, user_id):
    await outbox.deliver(build_checkin(tracker_for(user_id, FILLED)))
    given = {"pain": 2.0, "fatigue": 3.0, "sleep_quality": 8.0}
    tracker = tracker_for(user_id, given, text="no change", active_loop="checkin_form")
    result = await ValidateCheckinForm().validate_stress(
        "no change", CollectingDispatcher(), tracker, {}
    )
    assert result == {"stress": 5.0, "checkin_copied": ["stress"]}


async def test_a_number_beats_same_as_yesterday(api, user_id):
    await outbox.deliver(build_checkin(tracker_for(user_id, FILLED)))
    tracker = tracker_for(user_id, {}, text="about the same, a 4", active_loop="checkin_form")
    result = await ValidateCheckinForm().validate_pain(
        "about the same, a 4", CollectingDispatcher(), tracker, {}
    )
    assert result == {"pain": 4.0}

    dispatcher = CollectingDispatcher()
    tracker = tracker_for(user_id, {}, text="same as yesterday, 12", active_loop="checkin_form")
    result = await ValidateCheckinForm().validate_pain(
        "same as yesterday, 12", dispatcher, tracker, {}
    )
    assert result == {"pain": None}
    assert "outside the scale" in dispatcher.messages[0]["text"]


async def test_same_as_yesterday_with_the_api_down_says_so_honestly(api_down):
    dispatcher = CollectingDispatcher()
    tracker = tracker_for("u", {}, text="same as yesterday", active_loop="checkin_form")
    result = await ValidateCheckinForm().validate_pain("same as yesterday", dispatcher, tracker, {})
    assert result == {"pain": None}
    said = dispatcher.messages[0]["text"]
    assert "can't reach" in said and "can't find" not in said
    assert "0 to 10" in said


async def test_same_as_yesterday_with_the_api_down_names_the_scale_asked(api_down):
    dispatcher = CollectingDispatcher()
    tracker = tracker_for(
        "u", {"pain": 5.0, "fatigue": 5.0}, text="same as last time", active_loop="checkin_form"
    )
    result = await ValidateCheckinForm().validate_sleep_quality(
        "same as last time", dispatcher, tracker, {}
    )
    assert result == {"sleep_quality": None}
    assert dispatcher.messages[0]["text"].endswith(
        "Please pick a number from 0 to 10 for last night's sleep."
    )


async def test_same_as_yesterday_without_history_asks_normally(api, user_id):
    dispatcher = CollectingDispatcher()
    tracker = tracker_for(user_id, {}, text="same as yesterday", active_loop="checkin_form")
    result = await ValidateCheckinForm().validate_pain("same as yesterday", dispatcher, tracker, {})
    assert result == {"pain": None}
    assert "0 to 10" in dispatcher.messages[0]["text"]

"""Technique suggestions, guidance and feedback, against a real API."""

from __future__ import annotations

import requests
from rasa_sdk.executor import CollectingDispatcher

from actions.techniques import (
    ActionStartTechnique,
    ActionStop,
    ActionSuggestTechnique,
    ActionTechniqueFeedback,
    ActionTechniqueNext,
    ActionTechniquePause,
    catalogue,
)
from tests.support.trackers import tracker_for


def slots_from(events) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def run(action, dispatcher, user_id, slots) -> dict:
    """Run an action on a tracker holding `slots`; return the slots it set."""
    return slots_from(await action.run(dispatcher, tracker_for(user_id, slots), {}))


def offered_ids(dispatcher) -> list[str]:
    return [b["payload"].split('"')[3] for b in dispatcher.messages[0]["buttons"]]


async def test_suggestions_follow_the_latest_checkin_and_leave_out_activity_without_pem_answer(
    api, user_id
):
    env = api.env()
    requests.post(
        f"{api.internal_api_url}/api/v1/internal/checkins",
        headers={"X-Service-Key": env["SERVICE_KEY"]},
        json={"user_id": user_id, "idempotency_key": "k1", "pain": 3, "fatigue": 3,
              "sleep_quality": 8, "stress": 9},
        timeout=10,
    ).raise_for_status()
    dispatcher = CollectingDispatcher()
    await ActionSuggestTechnique().run(dispatcher, tracker_for(user_id, {}), {})

    ids = offered_ids(dispatcher)
    assert len(ids) == 3
    assert "stress" in dispatcher.messages[0]["text"]
    assert all(not catalogue()[i].requires_no_pem for i in ids)
    assert sum("stress" in catalogue()[i].targets for i in ids) >= 2


async def test_api_down_still_suggests_from_the_evidence(api_down):
    dispatcher = CollectingDispatcher()
    await ActionSuggestTechnique().run(dispatcher, tracker_for("anyone", {}), {})
    assert len(offered_ids(dispatcher)) == 3


async def test_a_technique_is_guided_step_by_step_with_pause_and_feedback_is_stored(
    api, user_id
):
    technique = catalogue()["paced_breathing"]
    dispatcher = CollectingDispatcher()
    chosen = tracker_for(user_id, {}, intent="choose_technique",
                         entities=[{"entity": "technique_id", "value": "paced_breathing"}])
    slots = slots_from(await ActionStartTechnique().run(dispatcher, chosen, {}))
    assert dispatcher.messages[-1]["text"].startswith(f"Step 1 of {len(technique.steps)}")
    assert [b["title"] for b in dispatcher.messages[-1]["buttons"]] == ["Next", "Pause", "Stop"]

    slots |= await run(ActionTechniqueNext(), dispatcher, user_id, slots)
    assert dispatcher.messages[-1]["text"].startswith("Step 2")
    # Pause, then continue: the paused step is shown again.
    slots |= await run(ActionTechniquePause(), dispatcher, user_id, slots)
    slots |= await run(ActionTechniqueNext(), dispatcher, user_id, slots)
    assert dispatcher.messages[-1]["text"].startswith("Step 2")
    for _ in range(len(technique.steps) - 1):
        slots |= await run(ActionTechniqueNext(), dispatcher, user_id, slots)
    assert "Did it help?" in dispatcher.messages[-1]["text"]

    feedback = tracker_for(user_id, slots, text="no, not really", intent="technique_feedback")
    await ActionTechniqueFeedback().run(dispatcher, feedback, {})
    env = api.env()
    ranked = requests.get(
        f"{api.internal_api_url}/api/v1/internal/users/{user_id}/suggestions",
        headers={"X-Service-Key": env["SERVICE_KEY"]}, params={"limit": 20}, timeout=10,
    ).json()["suggestions"]
    row = next(s for s in ranked if s["id"] == "paced_breathing")
    assert (row["helped"], row["not_helped"]) == (0, 1)


async def test_pausing_twice_or_at_the_first_step_still_resumes_the_paused_step():
    technique = catalogue()["body_scan"]
    dispatcher = CollectingDispatcher()
    slots = {"technique_id": "body_scan", "technique_step": 0.0}
    for _ in range(2):
        slots |= await run(ActionTechniquePause(), dispatcher, "u", slots)
    slots |= await run(ActionTechniqueNext(), dispatcher, "u", slots)
    assert dispatcher.messages[-1]["text"] == f"Step 1 of {len(technique.steps)}: " + (
        technique.steps[0]
    )
    slots |= await run(ActionTechniqueNext(), dispatcher, "u", slots)
    for _ in range(3):
        slots |= await run(ActionTechniquePause(), dispatcher, "u", slots)
    slots |= await run(ActionTechniqueNext(), dispatcher, "u", slots)
    assert dispatcher.messages[-1]["text"].startswith("Step 2 of")


async def test_next_after_the_last_step_asks_whether_it_helped_instead_of_starting_again():
    dispatcher = CollectingDispatcher()
    slots = {"technique_id": "body_scan", "technique_step": None}
    events = await ActionTechniqueNext().run(dispatcher, tracker_for("u", slots), {})
    assert events == []
    assert "Did it help?" in dispatcher.messages[-1]["text"]
    assert [b["title"] for b in dispatcher.messages[-1]["buttons"]] == [
        "Yes, it helped", "Not really"
    ]


async def test_activity_is_not_started_while_pem_is_unknown():
    dispatcher = CollectingDispatcher()
    chosen = tracker_for("u", {}, intent="choose_technique",
                         entities=[{"entity": "technique_id", "value": "gentle_movement"}])
    events = await ActionStartTechnique().run(dispatcher, chosen, {})
    assert events == []
    assert "Pacing" in dispatcher.messages[0]["text"]


async def test_stop_ends_a_running_technique():
    dispatcher = CollectingDispatcher()
    events = await ActionStop().run(
        dispatcher, tracker_for("u", {"technique_id": "body_scan", "technique_step": 2.0}), {}
    )
    assert "stopped" in dispatcher.messages[0]["text"].lower()
    assert slots_from(events) == {"technique_step": None}

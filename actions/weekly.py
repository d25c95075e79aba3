"""The weekly questions, offered after a daily check-in and never forced.

PEG's two interference items (enjoyment of life, general activity; the pain item is the
week's daily pain, computed by the API) and, only with consent, PHQ-2 and GAD-2. A score
of 3 or more on either screen suggests talking to a professional (CONTENT.md).
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import api_client
from actions.checkin import read_scale, save, score_entity
from actions.scales import FREQUENCY_REASK, REASKS, parse_frequency

WEEK = dt.timedelta(days=7)
PEG_SLOTS = ("peg_enjoyment", "peg_activity")
MOOD_SLOTS = ("phq_interest", "phq_mood", "gad_nervous", "gad_worry")
WEEKLY_SLOTS = (*PEG_SLOTS, "mood_consent", *MOOD_SLOTS)
ATTRIBUTION = (
    "PHQ-2 and GAD-2 were developed by Drs. Robert L. Spitzer, Janet B.W. Williams, "
    "Kurt Kroenke and colleagues, with an educational grant from Pfizer Inc. "
    "No permission is required to reproduce them."
)
SCREEN_THRESHOLD = 3


def today_for(tracker: Tracker) -> dt.date:
    name = tracker.get_slot("timezone")
    try:
        zone = zoneinfo.ZoneInfo(name) if name else dt.timezone.utc
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = dt.timezone.utc
    return dt.datetime.now(zone).date()


async def weekly_due(tracker: Tracker) -> bool:
    """Due when the last weekly answers are a week old (or there are none), unless the
    person said "not now" today. Not offered when the API cannot say."""
    today = today_for(tracker)
    if tracker.get_slot("weekly_declined_on") == today.isoformat():
        return False
    try:
        latest = await api_client.latest_weekly_checks(tracker.sender_id, limit=1)
    except (api_client.ApiError, api_client.ApiUnavailable):
        return False
    return not latest or dt.date.fromisoformat(latest[0]["local_date"]) <= today - WEEK


class ActionOfferWeekly(Action):
    def name(self) -> str:
        return "action_offer_weekly"

    async def run(self, dispatcher, tracker, domain):
        if not await weekly_due(tracker):
            return [SlotSet("weekly_offer", False)]
        dispatcher.utter_message(response="utter_weekly_offer")
        return [SlotSet("weekly_offer", True)]


class ActionDeclineWeekly(Action):
    def name(self) -> str:
        return "action_decline_weekly"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(response="utter_weekly_declined")
        return [SlotSet("weekly_offer", False),
                SlotSet("weekly_declined_on", today_for(tracker).isoformat())]


class ValidateWeeklyForm(FormValidationAction):
    def name(self) -> str:
        return "validate_weekly_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain):
        if tracker.get_slot("mood_consent") is False:
            return [slot for slot in domain_slots if slot not in MOOD_SLOTS]
        return domain_slots

    def _interference(self, slot: str, value: Any, dispatcher, tracker) -> dict[str, Any]:
        number, problem = read_scale(tracker, value)
        if number is None:
            dispatcher.utter_message(text=REASKS[problem or "no_number"])
            return {slot: None}
        return {slot: float(number)}

    def _frequency(self, slot: str, value: Any, dispatcher, tracker) -> dict[str, Any]:
        tapped = score_entity(tracker)
        answer = parse_frequency(str(tapped if tapped is not None else value or ""))
        if answer is None:
            dispatcher.utter_message(text=FREQUENCY_REASK)
            return {slot: None}
        return {slot: float(answer)}

    async def validate_peg_enjoyment(self, value, dispatcher, tracker, domain: DomainDict):
        return self._interference("peg_enjoyment", value, dispatcher, tracker)

    async def validate_peg_activity(self, value, dispatcher, tracker, domain: DomainDict):
        return self._interference("peg_activity", value, dispatcher, tracker)

    async def validate_phq_interest(self, value, dispatcher, tracker, domain: DomainDict):
        return self._frequency("phq_interest", value, dispatcher, tracker)

    async def validate_phq_mood(self, value, dispatcher, tracker, domain: DomainDict):
        return self._frequency("phq_mood", value, dispatcher, tracker)

    async def validate_gad_nervous(self, value, dispatcher, tracker, domain: DomainDict):
        return self._frequency("gad_nervous", value, dispatcher, tracker)

    async def validate_gad_worry(self, value, dispatcher, tracker, domain: DomainDict):
        return self._frequency("gad_worry", value, dispatcher, tracker)


def build_weekly(tracker: Tracker) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "weekly",
        "user_id": tracker.sender_id,
        "idempotency_key": str(uuid.uuid4()),
        # Dated by when it was answered, not when the outbox delivers it.
        "recorded_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "enjoyment": int(tracker.get_slot("peg_enjoyment")),
        "activity": int(tracker.get_slot("peg_activity")),
        "timezone": tracker.get_slot("timezone"),
    }
    if tracker.get_slot("mood_consent"):
        body.update({slot: int(tracker.get_slot(slot)) for slot in MOOD_SLOTS})
    return body


def mood_message(weekly: dict[str, Any]) -> str | None:
    if "phq_interest" not in weekly:
        return None
    phq2 = weekly["phq_interest"] + weekly["phq_mood"]
    gad2 = weekly["gad_nervous"] + weekly["gad_worry"]
    if max(phq2, gad2) >= SCREEN_THRESHOLD:
        worry = {
            (True, True): "low mood and worry",
            (True, False): "low mood",
            (False, True): "worry and feeling on edge",
        }[(phq2 >= SCREEN_THRESHOLD, gad2 >= SCREEN_THRESHOLD)]
        return (
            f"Your answers suggest {worry} have been around a lot lately. That's common "
            "when you live with pain and fatigue, and it's not your fault. It could really "
            "help to talk to a professional — your doctor, or a talking therapy service. "
            "This is a screening, not a diagnosis. If you ever have thoughts of harming "
            "yourself, tell me or tap \"Get help now\": you can talk to someone straight away, "
            "any time."
        )
    return (
        "Your mood answers are below the level where I'd suggest extra support. If that "
        "changes, talking to your doctor always helps."
    )


class ActionSubmitWeekly(Action):
    def name(self) -> str:
        return "action_submit_weekly"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        weekly = build_weekly(tracker)
        outcome = await save(weekly)
        if outcome == "refused":
            dispatcher.utter_message(text="Sorry, I couldn't save those answers.")
            return reset_weekly()
        if outcome == "waiting":
            dispatcher.utter_message(
                text="Thanks — I can't reach your records right now, so I'm keeping your "
                "answers safe and will save them as soon as they're back."
            )
        else:
            dispatcher.utter_message(text=await peg_message(tracker.sender_id))
        said = mood_message(weekly)
        if said:
            dispatcher.utter_message(text=f"{said}\n\n{ATTRIBUTION}")
        return reset_weekly()


async def peg_message(user_id: str) -> str:
    try:
        insights = await api_client.insights(user_id)
    except (api_client.ApiError, api_client.ApiUnavailable):
        insights = {}
    peg = insights.get("peg")
    if not peg:
        return "Saved, thank you."
    return f"Saved, thank you. {peg['message']}"


class ActionCancelWeekly(Action):
    def name(self) -> str:
        return "action_cancel_weekly"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(response="utter_weekly_stopped")
        return reset_weekly()


def reset_weekly() -> list[EventType]:
    return [SlotSet(slot, None) for slot in WEEKLY_SLOTS] + [
        SlotSet("requested_slot", None), SlotSet("weekly_offer", False)
    ]


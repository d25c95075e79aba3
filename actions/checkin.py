"""The daily check-in: validate answers, save through the outbox, stop on request.

The four scores are saved as soon as the last one is given, in the same bot turn that
asks for the optional note (action_ask_checkin_note): four taps and the check-in is
kept, even if the person leaves then. A note given afterwards amends the same check-in
(same idempotency key).
"""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from collections.abc import Iterable
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import api_client, outbox
from actions.progress import flare_message, todays_flare
from actions.scales import REASKS, SCALE_LABELS, SCALE_NAMES, SCALES, named_scores, parse_scale

CHECKIN_SLOTS = (
    *SCALES,
    "checkin_note",
    "body_location",
    "checkin_key",
    "checkin_copied",
    "checkin_copy_ok",
)
# Scores typed with no check-in running ("my pain is 9 today"), kept for the check-in the
# bot offers: {"scores": {scale: value}, "at": epoch seconds}.
TYPED_SCORES_SLOT = "typed_scores"
# How long a typed score waits for its check-in: half a day (the domain's session
# expiration), so yesterday's "pain 9" never fills in today's check-in.
TYPED_SCORES_KEEP_SECONDS = 12 * 60 * 60
NOTHING_TO_ADD = {"no", "nope", "nothing", "none", "nothing to add", "no thanks", "n/a", "-"}
MAX_NOTE_CHARS = 1000
# "same as yesterday", "same as last time", "no change from before"
SAME_AS_BEFORE = re.compile(
    r"\b(same as (yesterday|last time|before|last)|no change|(about|pretty much) the same)\b"
)


def score_entity(tracker: Tracker) -> Any:
    """The score a tapped button carries (its payload sets the `score` entity)."""
    return next(tracker.get_latest_entity_values("score"), None)


def read_scale(tracker: Tracker, typed: Any) -> tuple[int | None, str | None]:
    """A tapped button carries the score as an entity; typed text is parsed."""
    tapped = score_entity(tracker)
    reading = parse_scale(str(tapped if tapped is not None else typed or ""))
    return reading.value, reading.problem


def with_locations(tracker: Tracker, result: dict[str, Any]) -> dict[str, Any]:
    """Keep any body location (spaCy entity) mentioned in any answer of the check-in."""
    found = [str(v).lower() for v in tracker.get_latest_entity_values("body_location")]
    if not found:
        return result
    known = tracker.get_slot("body_location") or []
    return {**result, "body_location": list(dict.fromkeys([*known, *found]))}


class ValidateCheckinForm(FormValidationAction):
    def name(self) -> str:
        return "validate_checkin_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain):
        # Only copied scores ("same as yesterday") need a yes before they are saved.
        if copied_scales(tracker):
            return domain_slots
        return [slot for slot in domain_slots if slot != "checkin_copy_ok"]

    async def validate_checkin_copy_ok(self, value, dispatcher, tracker, domain: DomainDict):
        if value:
            return {"checkin_copy_ok": True}
        copied = copied_scales(tracker)
        # Only the copied scores are asked again: what the user typed today stays.
        rest = "" if len(copied) == len(SCALES) else " through the rest"
        dispatcher.utter_message(text=f"OK, let's go{rest} one by one.")
        return {
            **{scale: None for scale in copied},
            "checkin_copied": None,
            "checkin_copy_ok": None,
        }

    async def _validate_scale(
        self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        text = str(value or "").lower()
        same = SAME_AS_BEFORE.search(text) if score_entity(tracker) is None else None
        if same:
            # "Same as yesterday" copies, unless a number comes with it ("about the same,
            # a 4"); the phrase itself is not read as one ("no change" is not a 0).
            reading = parse_scale(f"{text[: same.start()]} {text[same.end() :]}")
            if reading.problem == "no_number":
                return await copy_last_checkin(dispatcher, tracker, slot)
            number, problem = reading.value, reading.problem
        else:
            number, problem = read_scale(tracker, value)
        if number is None:
            dispatcher.utter_message(text=REASKS[problem or "no_number"])
            return {slot: None}
        return with_locations(tracker, {slot: float(number)})

    async def validate_pain(self, value, dispatcher, tracker, domain: DomainDict):
        return await self._validate_scale("pain", value, dispatcher, tracker)

    async def validate_fatigue(self, value, dispatcher, tracker, domain: DomainDict):
        return await self._validate_scale("fatigue", value, dispatcher, tracker)

    async def validate_sleep_quality(self, value, dispatcher, tracker, domain: DomainDict):
        return await self._validate_scale("sleep_quality", value, dispatcher, tracker)

    async def validate_stress(self, value, dispatcher, tracker, domain: DomainDict):
        return await self._validate_scale("stress", value, dispatcher, tracker)

    async def validate_checkin_note(self, value, dispatcher, tracker, domain: DomainDict):
        intent = tracker.latest_message.get("intent", {}).get("name")
        text = str(value or "").strip()
        if intent == "deny" or text.lower().strip(".! ") in NOTHING_TO_ADD:
            return {"checkin_note": ""}
        if text.startswith("/"):
            # A payload, never words: the gateway escapes typed text that starts with "/",
            # so this is a button or the API's own "/restart" (Start over), not a note.
            return {"checkin_note": None}
        return with_locations(tracker, {"checkin_note": text[:MAX_NOTE_CHARS]})


def copied_scales(tracker: Tracker) -> list[str]:
    """The scales "same as yesterday" filled, in check-in order. (A tracker from before
    this was a list holds True, meaning all four.)"""
    copied = tracker.get_slot("checkin_copied") or []
    copied = copied if isinstance(copied, list) else [copied]
    if True in copied:
        return list(SCALES)
    return [scale for scale in SCALES if scale in copied]


async def copy_last_checkin(dispatcher: CollectingDispatcher, tracker: Tracker, asked: str) -> dict:
    """ "Same as yesterday" at the question for `asked`: pre-fill that scale and the later
    ones not answered yet from the last check-in, keeping what was given today. The form
    then asks to confirm them (action_ask_checkin_copy_ok) before anything is saved."""
    todo = [
        scale
        for scale in SCALES[SCALES.index(asked) :]
        if scale == asked or tracker.get_slot(scale) is None
    ]
    try:
        latest = await api_client.latest_checkins(tracker.sender_id, limit=1)
    except (api_client.ApiError, api_client.ApiUnavailable):
        latest, problem = None, "I can't reach your earlier check-ins right now"
    else:
        problem = "I can't find an earlier check-in to copy"
    if not latest:
        dispatcher.utter_message(
            text=f"{problem}, so let's go one by one. "
            f"Please pick a number from 0 to 10 for {SCALE_NAMES[asked]}."
        )
        return {asked: None}
    last = latest[0]
    return {**{scale: float(last[scale]) for scale in todo}, "checkin_copied": todo}


def typed_scores(tracker: Tracker) -> dict[str, int]:
    """Scores typed before the check-in started: in this message ("start a check-in, my
    pain is 9") or kept from an earlier one that was met with the offer of a check-in."""
    kept = tracker.get_slot(TYPED_SCORES_SLOT) or {}
    recent = time.time() - float(kept.get("at") or 0) < TYPED_SCORES_KEEP_SECONDS
    earlier = kept.get("scores") or {} if recent else {}
    return {**earlier, **named_scores(tracker.latest_message.get("text") or "")}


def offer_checkin_keeping(
    dispatcher: CollectingDispatcher, scores: dict[str, int]
) -> list[EventType]:
    """Offer a check-in; scores typed with it are kept for it."""
    if not scores:
        dispatcher.utter_message(response="utter_offer_checkin")
        return []
    dispatcher.utter_message(response="utter_offer_checkin_kept", kept=listed(scores))
    return [SlotSet(TYPED_SCORES_SLOT, {"scores": scores, "at": time.time()})]


class ActionOfferCheckin(Action):
    """A score typed when no check-in is running: keep it and offer the check-in."""

    def name(self) -> str:
        return "action_offer_checkin"

    async def run(self, dispatcher, tracker, domain):
        return offer_checkin_keeping(
            dispatcher, named_scores(tracker.latest_message.get("text") or "")
        )


class ActionStartCheckin(Action):
    def name(self) -> str:
        return "action_start_checkin"

    async def run(self, dispatcher, tracker, domain):
        answered = {s: int(tracker.get_slot(s)) for s in SCALES if tracker.get_slot(s) is not None}
        typed = {s: v for s, v in typed_scores(tracker).items() if s not in answered}
        events: list[EventType] = [SlotSet(s, float(v)) for s, v in typed.items()]
        events.append(SlotSet(TYPED_SCORES_SLOT, None))
        kept = listed({**answered, **typed})
        if answered:
            dispatcher.utter_message(response="utter_checkin_resume", kept=kept)
        elif typed:
            dispatcher.utter_message(response="utter_checkin_with_typed", kept=kept)
        else:
            dispatcher.utter_message(response="utter_checkin_intro")
        return events


def _reset() -> list[EventType]:
    return [SlotSet(slot, None) for slot in CHECKIN_SLOTS] + [SlotSet("requested_slot", None)]


def _metadata(tracker: Tracker) -> dict[str, Any]:
    return tracker.latest_message.get("metadata") or {}


def scores_given_at(tracker: Tracker) -> dt.datetime:
    """When the four scores were saved: the check-in's key was set in that turn, so a note
    added later re-sends the check-in with the same time (the first save is now). The
    API dates the check-in by it, so one that waited in the outbox past midnight keeps
    the day it was typed."""
    for event in reversed(tracker.events):
        if event.get("event") == "slot" and event.get("name") == "checkin_key":
            if event.get("value") and event.get("timestamp"):
                return dt.datetime.fromtimestamp(event["timestamp"], dt.timezone.utc)
            break
    return dt.datetime.now(dt.timezone.utc)


def build_checkin(tracker: Tracker, key: str | None = None) -> dict[str, Any]:
    note = tracker.get_slot("checkin_note") or None
    return {
        "user_id": tracker.sender_id,
        "idempotency_key": key or tracker.get_slot("checkin_key") or str(uuid.uuid4()),
        "recorded_at": scores_given_at(tracker).isoformat(timespec="seconds"),
        **{s: int(tracker.get_slot(s)) for s in SCALES},
        "note": note,
        "locations": list(dict.fromkeys(tracker.get_slot("body_location") or [])),
        "timezone": tracker.get_slot("timezone") or _metadata(tracker).get("timezone"),
    }


def listed(scores: dict[str, Any], scales: Iterable[str] | None = None) -> str:
    """ "pain 6, sleep 3": the given scales' scores (by default every scale in `scores`),
    in check-in order."""
    scales = [s for s in SCALES if s in scores] if scales is None else scales
    return ", ".join(f"{SCALE_LABELS[scale]} {scores[scale]}" for scale in scales)


def summary(checkin: dict[str, Any]) -> str:
    text = listed(checkin)
    return f"{text[0].upper()}{text[1:]}."


async def save(checkin: dict[str, Any]) -> str:
    """Keep the check-in (outbox first, so an API outage loses nothing), then deliver it.
    Returns "saved", "waiting" (kept for later delivery) or "refused"."""
    outbox.put(checkin)
    try:
        stored = await outbox.deliver(checkin)
    except outbox.Waiting:
        return "waiting"
    return "saved" if stored is not None else "refused"


NOTE_QUESTION = (
    'Anything to add — where it hurts, what you did, what helped? Type it, or tap "Nothing to add".'
)
NOTHING_TO_ADD_BUTTON = {"title": "Nothing to add", "payload": "/deny"}
NEXT_STEPS = [
    {"title": "Suggest a technique", "payload": "/ask_technique"},
    {"title": "Show my progress", "payload": "/show_progress"},
]


class ActionAskCheckinCopyOk(Action):
    def name(self) -> str:
        return "action_ask_checkin_copy_ok"

    async def run(self, dispatcher, tracker, domain):
        scores = {scale: int(tracker.get_slot(scale) or 0) for scale in SCALES}
        copied = copied_scales(tracker)
        if len(copied) == len(SCALES):
            text = f"I've copied your last check-in: {summary(scores)} Save the same for today?"
        else:
            given = listed({s: v for s, v in scores.items() if s not in copied})
            text = (
                f"Today so far: {given}. I've copied the rest from your last check-in: "
                f"{listed(scores, copied)}. Save these for today?"
            )
        dispatcher.utter_message(
            text=text,
            buttons=[
                {"title": "Yes, save them", "payload": "/affirm"},
                {"title": "No, change them", "payload": "/deny"},
            ],
        )
        return []


class ActionAskCheckinNote(Action):
    """Saves the four scores, then asks for the optional note — in one bot turn."""

    def name(self) -> str:
        return "action_ask_checkin_note"

    async def run(self, dispatcher, tracker, domain):
        if tracker.get_slot("checkin_key"):
            # Asked again after an interruption: already saved, only the note is open.
            dispatcher.utter_message(text=NOTE_QUESTION, buttons=[NOTHING_TO_ADD_BUTTON])
            return []
        checkin = build_checkin(tracker)
        outcome = await save(checkin)
        if outcome == "refused":
            dispatcher.utter_message(
                text="Sorry, I couldn't save that check-in. Please try again later."
            )
            return [*_reset(), ActiveLoop(None)]
        if outcome == "waiting":
            said = (
                f"Thanks — I've noted it: {summary(checkin)} I can't reach your records "
                "right now, so I'm keeping it safe and will save it as soon as they're "
                "back. You don't need to do anything."
            )
        else:
            said = f"Saved, thank you. {summary(checkin)}"
        dispatcher.utter_message(text=f"{said}\n\n{NOTE_QUESTION}", buttons=[NOTHING_TO_ADD_BUTTON])
        return [SlotSet("checkin_key", checkin["idempotency_key"])]


class ActionSubmitCheckin(Action):
    """The form is done: the scores were saved at the note question; add the note."""

    def name(self) -> str:
        return "action_submit_checkin"

    async def run(self, dispatcher, tracker, domain):
        if not tracker.get_slot("checkin_key"):
            return _reset()  # nothing was saved (refused); the user was told then
        if tracker.get_slot("checkin_note"):
            outcome = await save(build_checkin(tracker))
            text = {
                "saved": "I've added your note to today's check-in.",
                "waiting": "I've kept your note with the check-in and will save it as soon "
                "as I can reach your records.",
                "refused": "Sorry, I couldn't add that note. Your scores are saved.",
            }[outcome]
        else:
            text = "All done — thank you for checking in."
        flare = await todays_flare(tracker.sender_id)
        if flare:
            dispatcher.utter_message(text=text)
            dispatcher.utter_message(**flare_message(flare, flare["local_date"], NEXT_STEPS))
        else:
            dispatcher.utter_message(text=text, buttons=NEXT_STEPS)
        return _reset()


class ActionConfirmStopCheckin(Action):
    def name(self) -> str:
        return "action_confirm_stop_checkin"

    async def run(self, dispatcher, tracker, domain):
        if tracker.get_slot("checkin_key"):
            dispatcher.utter_message(response="utter_checkin_confirm_skip_note")
        else:
            dispatcher.utter_message(response="utter_checkin_confirm_stop")
        return []


class ActionCancelCheckin(Action):
    def name(self) -> str:
        return "action_cancel_checkin"

    async def run(self, dispatcher, tracker, domain):
        if tracker.get_slot("checkin_key"):
            dispatcher.utter_message(response="utter_checkin_saved_without_note")
        else:
            dispatcher.utter_message(response="utter_checkin_stopped")
        return _reset()

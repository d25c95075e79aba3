"""Suggest a technique, guide it step by step (with pause and stop), ask if it helped.

Suggestions come ranked from the API (Thompson sampling over the user's own feedback,
boosted by today's check-in). Techniques that add activity are only offered once the
user has said they do not get post-exertional malaise (slot `pem` is False).
"""

from __future__ import annotations

import contextlib
import math
from functools import lru_cache

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet

from actions import api_client
from bot.knowledge import Technique, load_techniques

STEP_BUTTONS = [
    {"title": "Next", "payload": "/technique_next"},
    {"title": "Pause", "payload": "/technique_pause"},
    {"title": "Stop", "payload": "/stop"},
]
HELPED_BUTTONS = [
    {"title": "Yes, it helped", "payload": '/technique_feedback{"helped": "yes"}'},
    {"title": "Not really", "payload": '/technique_feedback{"helped": "no"}'},
]
NEGATIONS = ("not", "n't", "didnt", "no ", "nope", "worse", "useless")


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Technique]:
    return {t.id: t for t in load_techniques().techniques}


def offer_buttons(ids: list[str]) -> list[dict]:
    return [
        {"title": catalogue()[i].title, "payload": f'/choose_technique{{"technique_id": "{i}"}}'}
        for i in ids
        if i in catalogue()
    ]


def evidence_order(pem_safe: bool) -> list[str]:
    """Offline fallback: the catalogue ordered by its evidence prior alone."""
    ranked = sorted(
        catalogue().values(),
        key=lambda t: t.evidence_prior.alpha / (t.evidence_prior.alpha + t.evidence_prior.beta),
        reverse=True,
    )
    return [t.id for t in ranked if pem_safe or not t.requires_no_pem]


class ActionSuggestTechnique(Action):
    def name(self) -> str:
        return "action_suggest_technique"

    async def run(self, dispatcher, tracker, domain):
        # Unknown PEM counts as possible PEM: activity is only suggested after a clear "no".
        exclude_activity = tracker.get_slot("pem") is not False
        try:
            result = await api_client.suggestions(tracker.sender_id, limit=3, pem=exclude_activity)
            ids = [s["id"] for s in result["suggestions"]]
            targets = result.get("targets") or []
        except (api_client.ApiError, api_client.ApiUnavailable):
            ids, targets = evidence_order(not exclude_activity)[:3], []
        if targets:
            text = f"Based on your last check-in ({', '.join(targets)}), these might help:"
        else:
            text = "Here are some techniques that help many people. Pick one to try now:"
        dispatcher.utter_message(text=text, buttons=offer_buttons(ids))
        return []


# `technique_step` holds the step on screen; a paused one holds it half a step back, so
# "continue" shows the paused step again and pausing twice changes nothing.
PAUSE_OFFSET = 0.5


def next_step(shown: float) -> int:
    return math.floor(shown) + 1


def paused(shown: float) -> float:
    return shown if not float(shown).is_integer() else shown - PAUSE_OFFSET


def step_message(technique: Technique, step: int) -> str:
    total = len(technique.steps)
    return f"Step {step + 1} of {total}: {technique.steps[step]}"


class ActionStartTechnique(Action):
    def name(self) -> str:
        return "action_start_technique"

    async def run(self, dispatcher, tracker, domain):
        technique_id = next(tracker.get_latest_entity_values("technique_id"), None)
        technique = catalogue().get(str(technique_id))
        if technique is None:
            dispatcher.utter_message(text="I don't know that one. Want me to suggest something?",
                                     buttons=[{"title": "Suggest a technique",
                                               "payload": "/ask_technique"}])
            return []
        if technique.requires_no_pem and tracker.get_slot("pem") is not False:
            dispatcher.utter_message(
                text=(
                    f"{technique.title} adds activity, so I only suggest it once we know "
                    "effort doesn't make your symptoms worse a day or two later. "
                    "Pacing is a gentler place to start."
                ),
                buttons=offer_buttons(["energy_envelope"]),
            )
            return []
        dispatcher.utter_message(
            text=(
                f"{technique.title} — about {technique.duration_minutes} minutes. "
                f"{technique.cautions}"
            )
        )
        dispatcher.utter_message(text=step_message(technique, 0), buttons=STEP_BUTTONS)
        return [SlotSet("technique_id", technique.id), SlotSet("technique_step", 0.0)]


class ActionTechniqueNext(Action):
    def name(self) -> str:
        return "action_technique_next"

    async def run(self, dispatcher, tracker, domain):
        technique = catalogue().get(tracker.get_slot("technique_id") or "")
        if technique is None:
            dispatcher.utter_message(text="There's no technique running. Want a suggestion?",
                                     buttons=[{"title": "Suggest a technique",
                                               "payload": "/ask_technique"}])
            return []
        shown = tracker.get_slot("technique_step")
        if shown is None:  # finished or stopped: the question left is whether it helped
            dispatcher.utter_message(text="That's the end of this one. Did it help?",
                                     buttons=HELPED_BUTTONS)
            return []
        step = next_step(shown)
        if step >= len(technique.steps):
            dispatcher.utter_message(text="Well done — that's the end. Did it help?",
                                     buttons=HELPED_BUTTONS)
            return [SlotSet("technique_step", None)]
        dispatcher.utter_message(text=step_message(technique, step), buttons=STEP_BUTTONS)
        return [SlotSet("technique_step", float(step))]


class ActionTechniquePause(Action):
    def name(self) -> str:
        return "action_technique_pause"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(
            text="Paused. Take all the time you need — tap Continue when you're ready.",
            buttons=[{"title": "Continue", "payload": "/technique_next"},
                     {"title": "Stop", "payload": "/stop"}],
        )
        step = tracker.get_slot("technique_step")
        return [SlotSet("technique_step", None if step is None else paused(step))]


def helped_from(tracker: Tracker) -> bool:
    said = next(tracker.get_latest_entity_values("helped"), None)
    if said is not None:
        return str(said).lower() in {"yes", "true", "1"}
    text = f" {str(tracker.latest_message.get('text') or '').lower()} "
    return not any(word in text for word in NEGATIONS)


class ActionTechniqueFeedback(Action):
    def name(self) -> str:
        return "action_technique_feedback"

    async def run(self, dispatcher, tracker, domain):
        technique_id = tracker.get_slot("technique_id")
        if not technique_id:
            dispatcher.utter_message(text="Thanks for telling me.")
            return []
        helped = helped_from(tracker)
        # Feedback only tunes suggestions; losing one vote is acceptable.
        with contextlib.suppress(api_client.ApiError, api_client.ApiUnavailable):
            await api_client.record_technique_feedback(tracker.sender_id, technique_id, helped)
        if helped:
            text = "Great — I'll suggest it more often. You can come back to it any time."
        else:
            text = ("Thanks for being honest. Not everything suits everyone; "
                    "I'll suggest other things first next time.")
        dispatcher.utter_message(text=text)
        return [SlotSet("technique_id", None), SlotSet("technique_step", None)]


class ActionStop(Action):
    """"stop" outside a check-in: end a running technique, otherwise just acknowledge."""

    def name(self) -> str:
        return "action_stop"

    async def run(self, dispatcher, tracker, domain):
        if tracker.get_slot("technique_id"):
            dispatcher.utter_message(text="OK, stopped. Did any of it help?",
                                     buttons=HELPED_BUTTONS)
            return [SlotSet("technique_step", None)]
        dispatcher.utter_message(text="OK. I'm here whenever you need me.")
        return []

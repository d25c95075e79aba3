"""Safety actions: crisis, red flags, idioms and the helpline country.

CONTENT.md "Safety" is binding. The crisis reply never waits on the API: the safety
event (kind and time, never the text) is recorded in the background and a failure is
only logged. Numbers come from data/safety/helplines.yml only.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import api_client
from actions.helplines import (
    DEFAULT_SET,
    _known,
    _mapping,
    contact_lines,
    country_from_name,
    emergency_phrase,
    helpline_set,
    helplines_payload,
    resolve_country,
)

logger = logging.getLogger(__name__)

RED_FLAG_CATEGORIES = ("cauda_equina", "stroke", "chest_pain", "infection_cancer", "injury")


# ---------------------------------------------------------------- tracker helpers


def _entity(tracker: Tracker, name: str) -> str | None:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == name and entity.get("value"):
            return str(entity["value"])
    return None


def _safety_net(tracker: Tracker) -> dict[str, Any]:
    data = (tracker.latest_message or {}).get("safety_net")
    return data if isinstance(data, dict) else {}


_background: set[asyncio.Task[Any]] = set()


def record_event(user_id: str, kind: str) -> asyncio.Task[Any] | None:
    """Records kind + time in the background; never raises, never delays the reply."""
    try:
        task = asyncio.get_running_loop().create_task(api_client.record_safety_event(user_id, kind))
    except Exception:  # no loop, or the client is missing: log only
        logger.warning("safety event of kind %s not recorded", kind.split(":")[0])
        return None
    _background.add(task)
    task.add_done_callback(_background.discard)
    return task


def _stop_running_flow() -> list[EventType]:
    # The rule also runs action_deactivate_loop; doing it here too means a crisis still
    # stops a form if a story path skips the rule. Filled slots are kept.
    return [ActiveLoop(None), SlotSet("requested_slot", None)]


# ---------------------------------------------------------------- actions


class ActionCrisisResponse(Action):
    def name(self) -> str:
        return "action_crisis_response"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        code, entry = helpline_set(resolve_country(tracker)[0])
        dispatcher.utter_message(response="utter_crisis_acknowledge")
        dispatcher.utter_message(
            response="utter_crisis_contacts",
            contact_lines=contact_lines(entry),
            json_message=helplines_payload(code, entry),
        )
        dispatcher.utter_message(response="utter_crisis_offer")
        dispatcher.utter_message(response="utter_crisis_ask_safe")
        record_event(tracker.sender_id, "crisis")
        return [*_stop_running_flow(), SlotSet("safety_check_pending", "crisis")]


class ActionRedFlagResponse(Action):
    def name(self) -> str:
        return "action_red_flag_response"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        code, entry = helpline_set(resolve_country(tracker)[0])
        category = _entity(tracker, "red_flag_category") or _safety_net(tracker).get("category")
        if category not in RED_FLAG_CATEGORIES:
            category = None
        response = f"utter_red_flag_{category}" if category else "utter_red_flag_general"
        dispatcher.utter_message(response=response, emergency_phrase=emergency_phrase(entry))
        record_event(tracker.sender_id, f"red_flag:{category or 'unspecified'}")
        return [
            *_stop_running_flow(),
            SlotSet("safety_check_pending", f"red_flag:{category or 'unspecified'}"),
        ]


class ActionSafetyFollowup(Action):
    """The answer to "Are you safe right now?" or "Can you do that now?"."""

    def name(self) -> str:
        return "action_safety_followup"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        pending = tracker.get_slot("safety_check_pending") or "crisis"
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        code, entry = helpline_set(resolve_country(tracker)[0])
        if pending.startswith("red_flag"):
            if intent == "affirm":
                dispatcher.utter_message(response="utter_red_flag_go")
            else:
                dispatcher.utter_message(
                    response="utter_red_flag_cant", emergency_phrase=emergency_phrase(entry)
                )
            return [SlotSet("safety_check_pending", None)]
        if intent == "affirm":
            dispatcher.utter_message(response="utter_crisis_safe")
            return [SlotSet("safety_check_pending", None)]
        # Not safe (or anything but a clear "safe"): emergency number first, stay.
        dispatcher.utter_message(
            response="utter_crisis_not_safe", emergency_phrase=emergency_phrase(entry)
        )
        dispatcher.utter_message(json_message=helplines_payload(code, entry))
        dispatcher.utter_message(response="utter_crisis_not_safe_offer")
        return [SlotSet("safety_check_pending", "crisis")]


class ActionSafetyRecheck(Action):
    """A gentle re-check after "you misunderstood" or "not really"; never an instant drop."""

    def name(self) -> str:
        return "action_safety_recheck"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_safety_recheck")
        return [SlotSet("safety_check_pending", "recheck")]


class ActionLightCheck(Action):
    """Idioms and distress ("this pain is killing me"): one light question, no crisis flow."""

    def name(self) -> str:
        return "action_light_check"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_light_check")
        return [SlotSet("safety_check_pending", "light_check")]


class ActionSetLocale(Action):
    def name(self) -> str:
        return "action_set_locale"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        said = _entity(tracker, "country") or _country_in_text(
            (tracker.latest_message or {}).get("text") or ""
        )
        code = country_from_name(said)
        if not code or code == DEFAULT_SET or not _known(code):
            dispatcher.utter_message(response="utter_locale_unknown")
            return [SlotSet("locale", DEFAULT_SET)] if said else []
        code, entry = helpline_set(code)
        dispatcher.utter_message(response="utter_locale_set", country_name=entry["name"])
        dispatcher.utter_message(json_message=helplines_payload(code, entry))
        return [SlotSet("locale", code)]


def _country_in_text(text: str) -> str | None:
    """Fallback when NLU found no `country` entity: the longest known name in the text."""
    lowered = f" {re.sub(r'[^a-z. ]+', ' ', text.lower())} "
    best = None
    for name in _mapping("names"):
        if f" {name} " in lowered and (best is None or len(name) > len(best)):
            best = name
    return best

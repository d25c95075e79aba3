"""Session start: carry slots over and pick up the locale the widget reports."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet


def locale_slots(metadata: dict[str, Any]) -> list[EventType]:
    """The widget sends {"locale": "en-GB", "timezone": "Europe/London"}.

    Only the time zone becomes a slot here; the helpline country is worked out by the
    safety actions from the user's choice, then this metadata, then the default.
    """
    timezone = metadata.get("timezone")
    return [SlotSet("timezone", timezone)] if isinstance(timezone, str) else []


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(self, dispatcher, tracker, domain):
        events: list[EventType] = [SessionStarted()]
        # Slots set before the session restarts (e.g. a chosen country, an unfinished
        # check-in) are kept: carry_over_slots_to_new_session is on in the domain.
        events += [
            SlotSet(e["name"], e["value"])
            for e in tracker.events
            if e.get("event") == "slot" and e.get("name") not in {"requested_slot"}
        ]
        events += locale_slots(tracker.get_slot("session_started_metadata") or {})
        events.append(ActionExecuted("action_listen"))
        return events

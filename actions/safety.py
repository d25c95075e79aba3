"""Safety actions: crisis, red flags, idioms and the helpline country.

CONTENT.md "Safety" is binding. The crisis reply never waits on the API: the safety
event (kind and time, never the text) is recorded in the background and a failure is
only logged. Numbers come from data/safety/helplines.yml only.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import api_client

logger = logging.getLogger(__name__)

HELPLINES_PATH = Path(__file__).resolve().parents[1] / "data" / "safety" / "helplines.yml"
RED_FLAG_CATEGORIES = ("cauda_equina", "stroke", "chest_pain", "infection_cancer", "injury")
DEFAULT_SET = "default"
_REGION = re.compile(r"^[A-Za-z]{2}$")


# ---------------------------------------------------------------- helplines (pure)


@lru_cache(maxsize=4)
def load_helplines(path: str | None = None) -> dict[str, Any]:
    with open(path or HELPLINES_PATH, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _mapping(section: str) -> dict[str, str]:
    return (load_helplines().get("locale_mapping") or {}).get(section) or {}


def _known(code: str | None) -> str | None:
    """A code with its own list ("GB"), through aliases ("UK" -> GB, "PT" -> EU)."""
    if not code:
        return None
    countries = load_helplines()["countries"]
    code = str(code).strip()
    if code in countries:
        return code
    upper = code.upper()
    upper = _mapping("country_aliases").get(upper, upper)
    return upper if upper in countries and upper != DEFAULT_SET else None


def country_from_language_tag(tag: str | None) -> str | None:
    """BCP-47 tag -> country: "en-GB" -> GB, "fr_CA" -> CA, "de" -> DE (table)."""
    if not tag or not isinstance(tag, str):
        return None
    tag = tag.strip().replace("_", "-")
    languages = {k.lower(): v for k, v in _mapping("languages").items()}
    if tag.lower() in languages:
        return _known(languages[tag.lower()]) or languages[tag.lower()]
    for part in tag.split("-")[1:]:
        if _REGION.match(part):
            return _known(part) or DEFAULT_SET
    base = tag.split("-")[0].lower()
    return _known(languages[base]) if base in languages else None


def country_from_timezone(zone: str | None) -> str | None:
    if not zone or not isinstance(zone, str):
        return None
    found = _mapping("timezones").get(zone.strip())
    if found == DEFAULT_SET:
        return DEFAULT_SET
    return _known(found)


def country_from_name(name: str | None) -> str | None:
    """What people type ("the UK", "Ireland") -> a code; None when unknown."""
    if not name:
        return None
    key = re.sub(r"\s+", " ", str(name).strip().lower().rstrip(".!?"))
    names = _mapping("names")
    if key in names:
        return _known(names[key]) or names[key]
    return _known(key) if len(key) == 2 else None


def helpline_set(code: str | None) -> tuple[str, dict[str, Any]]:
    countries = load_helplines()["countries"]
    code = _known(code) or (DEFAULT_SET if code == DEFAULT_SET else None) or DEFAULT_SET
    return code, countries[code]


def emergency_phrase(entry: dict[str, Any]) -> str:
    number = entry.get("emergency")
    if number:
        return f"the emergency number, {number}"
    return "your local emergency number (112 works in many countries)"


def contact_line(contact: dict[str, Any]) -> str:
    name = contact["name"]
    call, text, body = contact.get("call"), contact.get("text"), contact.get("text_body")
    if call and text and call == text:
        how = f"call or text {call}"
    else:
        parts = []
        if call:
            parts.append(f"call {call}")
        if text:
            parts.append(f"text {body} to {text}" if body else f"text {text}")
        how = " or ".join(parts)
    if not how and contact.get("url"):
        how = contact["url"].removeprefix("https://")
    extra = []
    if contact.get("free"):
        extra.append("free")
    if contact.get("hours"):
        extra.append(str(contact["hours"]))
    suffix = f" ({', '.join(extra)})" if extra else ""
    return f"• {name}: {how}{suffix}" if how else f"• {name}"


def contact_lines(entry: dict[str, Any]) -> str:
    lines = [contact_line(c) for c in entry.get("contacts", [])]
    has_directory = any(c.get("url") for c in entry.get("contacts", []))
    if not has_directory and (
        entry.get("national_line_listed") is False or not entry.get("emergency")
    ):
        lines.append("• Or find a free helpline near you at findahelpline.com")
    return "\n".join(dict.fromkeys(lines))


def helplines_payload(code: str, entry: dict[str, Any]) -> dict[str, Any]:
    """The `custom` message the widget renders as a contacts card."""
    keys = ("name", "call", "text", "text_body", "notes", "url")
    contacts = [{k: c[k] for k in keys if c.get(k)} for c in entry.get("contacts", [])]
    return {
        "type": "helplines",
        "country": code,
        "country_name": entry.get("name"),
        "emergency": entry.get("emergency"),
        "contacts": contacts,
    }


# ---------------------------------------------------------------- tracker helpers


def _message_metadata(tracker: Tracker) -> dict[str, Any]:
    meta = (tracker.latest_message or {}).get("metadata")
    if isinstance(meta, dict) and meta:
        return meta
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            meta = event.get("metadata")
            if isinstance(meta, dict) and meta:
                return meta
            break
    meta = tracker.get_slot("session_started_metadata")
    return meta if isinstance(meta, dict) else {}


def resolve_country(tracker: Tracker) -> tuple[str, str]:
    """(country code, where it came from): slot, metadata, environment, default."""
    slot = tracker.get_slot("locale")
    if slot and (_known(slot) or slot == DEFAULT_SET):
        return (_known(slot) or DEFAULT_SET), "slot"
    meta = _message_metadata(tracker)
    for found in (
        country_from_language_tag(meta.get("locale")),
        country_from_timezone(meta.get("timezone")),
        country_from_timezone(tracker.get_slot("timezone")),
    ):
        if found:
            return found, "metadata"
    env = _known(os.environ.get("CADENCE_LOCALE", ""))
    if env:
        return env, "environment"
    fallback = _known(load_helplines().get("default_country")) or "GB"
    return fallback, "default"


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

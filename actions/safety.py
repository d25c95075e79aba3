"""Safety actions: crisis, concern, overdose, harm to others, someone else at risk, red
flags, idioms and the helpline country.

CONTENT.md "Safety" is binding. The crisis reply never waits on the API: the safety
event (kind and time, never the text) is recorded in the background and a failure is
only logged. Numbers come from data/safety/helplines.yml only.
"""

from __future__ import annotations

import asyncio
import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
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
    country_sentence,
    emergency_phrase,
    helpline_set,
    helplines_payload,
    mental_health_phrase,
    poisons_phrase,
    resolve_country,
    urgent_phrase,
)

logger = logging.getLogger(__name__)

RED_FLAGS_PATH = Path(__file__).resolve().parents[1] / "data" / "safety" / "red_flags.yml"


@lru_cache(maxsize=1)
def red_flag_categories() -> dict[str, dict[str, str]]:
    """{category: {"urgency": ..., "about": ...}} from data/safety/red_flags.yml."""
    with open(RED_FLAGS_PATH, encoding="utf-8") as handle:
        return yaml.safe_load(handle)["categories"]


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


class Contacts:
    """The country's contacts and the phrases the replies fill in, for one turn."""

    def __init__(self, tracker: Tracker) -> None:
        code, source = resolve_country(tracker)
        self.code, self.entry = helpline_set(code)
        self.payload = helplines_payload(self.code, self.entry)
        # Every placeholder a safety response may use.
        self.phrases: dict[str, str] = {
            "contact_lines": contact_lines(self.entry),
            "country_sentence": country_sentence(self.code, self.entry, source),
            "emergency_phrase": emergency_phrase(self.entry),
            "urgent_phrase": urgent_phrase(self.entry),
            "poisons_phrase": poisons_phrase(self.entry),
            "urgent_mental_phrase": mental_health_phrase(self.entry),
        }


def _crisis_reply(dispatcher: CollectingDispatcher, contacts: Contacts, acknowledge: bool) -> None:
    if acknowledge:
        dispatcher.utter_message(response="utter_crisis_acknowledge")
    dispatcher.utter_message(
        response="utter_crisis_contacts", json_message=contacts.payload, **contacts.phrases
    )
    dispatcher.utter_message(response="utter_crisis_offer")
    dispatcher.utter_message(response="utter_crisis_ask_safe")


class ActionCrisisResponse(Action):
    def name(self) -> str:
        return "action_crisis_response"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        _crisis_reply(dispatcher, Contacts(tracker), acknowledge=True)
        record_event(tracker.sender_id, "crisis")
        return [*_stop_running_flow(), SlotSet("safety_check_pending", "crisis")]


class _LeadContactsAsk:
    """A reply in three messages: what to do (`lead`), the contacts card, then the question
    whose answer the follow-up handles (`ask`, with `pending` as the slot's state).
    Not an Action itself, so that rasa_sdk registers only the concrete replies."""

    action: str
    lead: str
    contacts_response: str
    ask: str
    pending: str
    event: str | None = None  # the safety event recorded, if any

    def name(self) -> str:
        return self.action

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        contacts = Contacts(tracker)
        dispatcher.utter_message(response=self.lead, **contacts.phrases)
        dispatcher.utter_message(
            response=self.contacts_response, json_message=contacts.payload, **contacts.phrases
        )
        dispatcher.utter_message(response=self.ask)
        if self.event:
            record_event(tracker.sender_id, self.event)
        return [*_stop_running_flow(), SlotSet("safety_check_pending", self.pending)]


class ActionConcernResponse(_LeadContactsAsk, Action):
    """Passive or indirect wording: a direct, kind question, with the contacts in the same
    reply (CONTENT.md "Safety" 8)."""

    action = "action_concern_response"
    lead = "utter_concern_acknowledge"
    contacts_response = "utter_concern_contacts"
    ask = "utter_concern_ask"
    pending = "concern"


class ActionOverdoseResponse(_LeadContactsAsk, Action):
    """Medical help first, listening lines second (CONTENT.md "Safety" 9)."""

    action = "action_overdose_response"
    lead = "utter_overdose"
    contacts_response = "utter_overdose_contacts"
    ask = "utter_overdose_ask"
    pending = "overdose"
    event = "overdose"


class ActionThirdPartyResponse(_LeadContactsAsk, Action):
    """Someone else is at risk: how to help them, and the same contacts."""

    action = "action_third_party_response"
    lead = "utter_third_party"
    contacts_response = "utter_third_party_contacts"
    ask = "utter_third_party_ask"
    pending = "third_party"


# Who else can help a parent with frightening thoughts about their baby.
PERINATAL_HINT = ", midwife or health visitor"


def _perinatal_hint(tracker: Tracker) -> str:
    text = ((tracker.latest_message or {}).get("text") or "").lower()
    if re.search(r"\b(?:baby|babies|newborn|infant|pregnan\w*|postnatal|post-natal)\b", text):
        return PERINATAL_HINT
    return ""


class ActionHarmOthersResponse(Action):
    """Thoughts of harming someone else: no judgement, the right services (CONTENT.md 10)."""

    def name(self) -> str:
        return "action_harm_others_response"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        contacts = Contacts(tracker)
        hint = _perinatal_hint(tracker)
        dispatcher.utter_message(
            response="utter_harm_others",
            perinatal_hint=hint,
            json_message=contacts.payload,
            **contacts.phrases,
        )
        dispatcher.utter_message(response="utter_harm_others_ask")
        return [
            *_stop_running_flow(),
            SlotSet("safety_check_pending", f"harm_others{hint and ':baby'}"),
        ]


def _red_flag_category(tracker: Tracker) -> str | None:
    category = _entity(tracker, "red_flag_category") or _safety_net(tracker).get("category")
    return category if category in red_flag_categories() else None


class ActionRedFlagResponse(Action):
    def name(self) -> str:
        return "action_red_flag_response"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        category = _red_flag_category(tracker)
        response = f"utter_red_flag_{category}" if category else "utter_red_flag_general"
        dispatcher.utter_message(response=response, **Contacts(tracker).phrases)
        # Nothing is recorded yet: the event is kept only if the user agrees (followup).
        return [
            *_stop_running_flow(),
            SlotSet("safety_check_pending", f"red_flag:{category or 'unspecified'}"),
        ]


# The safety plan's answers (safety_plan_form), shown back once and then cleared.
PLAN_SLOTS = ("plan_person", "plan_calm", "plan_safer")


def last_reply(tracker: Tracker) -> str | None:
    """The response the bot's last message came from (Rasa marks it on every message)."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            return (event.get("metadata") or {}).get("utter_action")
    return None


def _intent(tracker: Tracker) -> str | None:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


class ActionSafetyFollowup(Action):
    """The answer to the last safety question, whatever it was and however it came:
    a button, a typed yes or no, "you misread that", or something else typed."""

    def name(self) -> str:
        return "action_safety_followup"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        pending = tracker.get_slot("safety_check_pending") or "done"
        kind, _, detail = pending.partition(":")
        answer = _intent(tracker)
        contacts = Contacts(tracker)
        step = getattr(self, f"_{kind}", self._done)
        return step(dispatcher, tracker, contacts, answer, detail)

    def _done(self, dispatcher, tracker, contacts, answer, detail) -> list[EventType]:
        """Nothing is pending: stay, and keep help close."""
        dispatcher.utter_message(response="utter_safety_still_here", **contacts.phrases)
        return [SlotSet("safety_check_pending", None)]

    # Each step returns the events; `answer` is the intent of the reply.
    def _crisis(self, dispatcher, tracker, contacts, answer, detail) -> list[EventType]:
        if answer == "affirm":
            dispatcher.utter_message(response="utter_crisis_safe")
            return [SlotSet("safety_check_pending", None)]
        if answer == "misunderstood":
            dispatcher.utter_message(response="utter_safety_recheck")
            return [SlotSet("safety_check_pending", "recheck")]
        # Not safe, or anything but a clear "safe": emergency number first, stay.
        dispatcher.utter_message(response="utter_crisis_not_safe", **contacts.phrases)
        dispatcher.utter_message(json_message=contacts.payload)
        dispatcher.utter_message(response="utter_crisis_not_safe_offer")
        return [SlotSet("safety_check_pending", "crisis")]

    def _concern(self, dispatcher, tracker, contacts, answer, detail) -> list[EventType]:
        if answer in ("affirm", "crisis", "concern"):
            _crisis_reply(dispatcher, contacts, acknowledge=True)
            record_event(tracker.sender_id, "crisis")
            return [*_stop_running_flow(), SlotSet("safety_check_pending", "crisis")]
        if answer in ("deny", "misunderstood"):
            dispatcher.utter_message(response="utter_concern_no")
            return [SlotSet("safety_check_pending", None)]
        dispatcher.utter_message(response="utter_concern_ask_again")
        return [SlotSet("safety_check_pending", "concern")]

    def _recheck(self, dispatcher, tracker, contacts, answer, detail) -> list[EventType]:
        """The answer to "are you having any thoughts of hurting yourself?"."""
        if answer in ("affirm", "crisis", "concern"):
            return self._concern(dispatcher, tracker, contacts, answer, detail)
        if answer in ("deny", "misunderstood"):
            dispatcher.utter_message(response="utter_recheck_ok")
            return [SlotSet("safety_check_pending", None)]
        dispatcher.utter_message(response="utter_concern_ask_again")
        return [SlotSet("safety_check_pending", "recheck")]

    def _overdose(self, dispatcher, tracker, contacts, answer, detail) -> list[EventType]:
        if answer == "affirm":
            dispatcher.utter_message(response="utter_overdose_go")
            return [SlotSet("safety_check_pending", None)]
        if answer == "deny":
            dispatcher.utter_message(response="utter_overdose_cant", **contacts.phrases)
            return [SlotSet("safety_check_pending", "overdose")]
        # "I feel fine", "I'm safe", "you misread that": the advice stands.
        dispatcher.utter_message(response="utter_overdose_feeling_fine", **contacts.phrases)
        return [SlotSet("safety_check_pending", "overdose")]

    def _harm_others(self, dispatcher, tracker, contacts, answer, detail) -> list[EventType]:
        if answer == "deny" or answer == "misunderstood":
            hint = PERINATAL_HINT if detail == "baby" else ""
            dispatcher.utter_message(
                response="utter_harm_others_no_danger", perinatal_hint=hint, **contacts.phrases
            )
            dispatcher.utter_message(json_message=contacts.payload)
            return [SlotSet("safety_check_pending", None)]
        dispatcher.utter_message(response="utter_harm_others_danger", **contacts.phrases)
        return [SlotSet("safety_check_pending", None)]

    def _third_party(self, dispatcher, tracker, contacts, answer, detail) -> list[EventType]:
        if answer in ("deny", "misunderstood"):
            dispatcher.utter_message(response="utter_third_party_no_danger")
            return [SlotSet("safety_check_pending", None)]
        dispatcher.utter_message(response="utter_third_party_danger", **contacts.phrases)
        return [SlotSet("safety_check_pending", None)]

    def _red_flag(self, dispatcher, tracker, contacts, answer, detail) -> list[EventType]:
        if answer == "misunderstood":
            about = red_flag_categories().get(detail, {}).get("about", "something like that")
            urgency = red_flag_categories().get(detail, {}).get("urgency")
            clause = f", or {contacts.phrases['urgent_phrase']} if it is not an emergency"
            dispatcher.utter_message(
                response="utter_red_flag_misread",
                about=about,
                urgent_clause=clause if urgency == "same_day" else "",
                **{k: v for k, v in contacts.phrases.items() if k != "urgent_phrase"},
            )
            return [SlotSet("safety_check_pending", None)]
        if answer == "affirm":
            dispatcher.utter_message(response="utter_red_flag_go")
        else:
            dispatcher.utter_message(response="utter_red_flag_cant", **contacts.phrases)
        dispatcher.utter_message(response="utter_red_flag_note_offer")
        return [SlotSet("safety_check_pending", f"red_flag_note:{detail}")]

    def _red_flag_note(self, dispatcher, tracker, contacts, answer, detail) -> list[EventType]:
        if answer == "affirm":
            record_event(tracker.sender_id, f"red_flag:{detail}")
            dispatcher.utter_message(response="utter_red_flag_noted")
        else:
            dispatcher.utter_message(response="utter_red_flag_not_noted")
        return [SlotSet("safety_check_pending", None)]


class ActionSafetyPlanDone(Action):
    """Shows the plan back once, then forgets it: the answers are not kept."""

    def name(self) -> str:
        return "action_safety_plan_done"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        answers = {slot: " ".join(str(tracker.get_slot(slot) or "").split()) for slot in PLAN_SLOTS}
        # A typed "{" would otherwise read as a placeholder in the response.
        answers = {slot: text.replace("{", "(").replace("}", ")") for slot, text in answers.items()}
        dispatcher.utter_message(response="utter_safety_plan_done", **answers)
        return [SlotSet(slot, None) for slot in PLAN_SLOTS]


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

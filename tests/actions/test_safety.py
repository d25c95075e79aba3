"""Safety actions with Tracker.from_dict fixtures and a CollectingDispatcher.

Numbers are checked twice: against data/safety/helplines.yml AND against the literal
numbers in CONTENT.md, so a wrong number in the data file fails here too. No API is
needed: the safety-event call is replaced by a fake.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import api_client
from actions import safety as safety_actions
from actions.safety import (
    ActionCrisisResponse,
    ActionLightCheck,
    ActionRedFlagResponse,
    ActionSafetyFollowup,
    ActionSafetyRecheck,
    ActionSetLocale,
)

ROOT = Path(__file__).resolve().parents[2]
HELPLINES = yaml.safe_load((ROOT / "data/safety/helplines.yml").read_text(encoding="utf-8"))
DOMAIN = yaml.safe_load((ROOT / "bot/domain/safety.yml").read_text(encoding="utf-8"))

# CONTENT.md, "Safety" (literal, on purpose).
CONTENT_NUMBERS = {
    "GB": {"emergency": "999", "calls": {"116 123"}, "texts": {("85258", "SHOUT")}},
    "US": {"emergency": "911", "calls": {"988"}, "texts": {("988", None), ("741741", "HOME")}},
    "IE": {"emergency": "112", "calls": set(), "texts": set()},
    "DE": {"emergency": "112", "calls": set(), "texts": set()},
}


def make_tracker(
    intent: str = "crisis",
    text: str = "",
    slots: dict | None = None,
    entities: list | None = None,
    metadata: dict | None = None,
    active_loop: str | None = None,
    safety_net: dict | None = None,
) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0},
        "entities": entities or [],
    }
    if safety_net:
        latest["safety_net"] = safety_net
    events = [{"event": "user", "text": text, "parse_data": latest, "metadata": metadata or {}}]
    return Tracker.from_dict(
        {
            "sender_id": "user-1",
            "slots": {"locale": None, "timezone": None, "requested_slot": None, **(slots or {})},
            "latest_message": latest,
            "events": events,
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": "action_listen",
        }
    )


@pytest.fixture(autouse=True)
def recorded(monkeypatch):
    calls: list[tuple[str, str]] = []

    async def fake(user_id: str, kind: str) -> None:
        calls.append((user_id, kind))

    monkeypatch.setattr(api_client, "record_safety_event", fake)
    monkeypatch.delenv("CADENCE_LOCALE", raising=False)
    return calls


def run(action, tracker: Tracker) -> tuple[CollectingDispatcher, list]:
    async def go():
        dispatcher = CollectingDispatcher()
        events = await action.run(dispatcher, tracker, {})
        await asyncio.sleep(0)  # let the background safety-event task run
        await asyncio.gather(*safety_actions._background, return_exceptions=True)
        return dispatcher, events

    return asyncio.run(go())


def render(message: dict) -> str:
    """The text Rasa would send: the domain template with the action's kwargs."""
    if message.get("text"):
        return message["text"]
    name = message.get("response")
    if not name:
        return ""
    template = DOMAIN["responses"][name][0]["text"]
    return re.sub(r"\{(\w+)\}", lambda m: str(message[m.group(1)]), template)


def all_text(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(render(m) for m in dispatcher.messages)


def helplines_custom(dispatcher: CollectingDispatcher) -> dict:
    customs = [m["custom"] for m in dispatcher.messages if m.get("custom")]
    assert len(customs) == 1
    assert customs[0]["type"] == "helplines"
    return customs[0]


def assert_contacts(dispatcher: CollectingDispatcher, country: str) -> None:
    custom = helplines_custom(dispatcher)
    text = all_text(dispatcher)
    assert custom["country"] == country
    # against the data file
    assert custom["contacts"] == [
        {k: c[k] for k in ("name", "call", "text", "text_body", "notes", "url") if c.get(k)}
        for c in HELPLINES["countries"][country]["contacts"]
    ]
    # against CONTENT.md
    expected = CONTENT_NUMBERS[country]
    calls = {c.get("call") for c in custom["contacts"]}
    texts = {(c.get("text"), c.get("text_body")) for c in custom["contacts"] if c.get("text")}
    assert expected["emergency"] in calls and f"call {expected['emergency']}" in text
    assert expected["calls"] <= calls
    assert expected["texts"] <= texts
    for number in expected["calls"]:
        assert f"call {number}" in text or f"call or text {number}" in text
    for number, body in expected["texts"]:
        assert (f"text {body} to {number}" if body else f"text {number}") in text


# ---------------------------------------------------------------- crisis


def test_crisis_uses_the_locale_slot(recorded) -> None:
    dispatcher, events = run(ActionCrisisResponse(), make_tracker(slots={"locale": "US"}))
    assert_contacts(dispatcher, "US")
    assert recorded == [("user-1", "crisis")]


def test_crisis_uses_metadata_when_no_slot() -> None:
    tracker = make_tracker(metadata={"locale": "en-US", "timezone": "America/Chicago"})
    dispatcher, _ = run(ActionCrisisResponse(), tracker)
    assert_contacts(dispatcher, "US")


def test_crisis_uses_the_timezone_when_the_language_has_no_region() -> None:
    tracker = make_tracker(metadata={"locale": "en", "timezone": "Europe/Dublin"})
    dispatcher, _ = run(ActionCrisisResponse(), tracker)
    assert_contacts(dispatcher, "IE")


def test_crisis_falls_back_to_cadence_locale(monkeypatch) -> None:
    monkeypatch.setenv("CADENCE_LOCALE", "DE")
    dispatcher, _ = run(ActionCrisisResponse(), make_tracker())
    assert_contacts(dispatcher, "DE")


def test_crisis_falls_back_to_gb() -> None:
    dispatcher, _ = run(ActionCrisisResponse(), make_tracker())
    assert_contacts(dispatcher, "GB")


def test_crisis_turn_shape_and_stops_the_running_form() -> None:
    tracker = make_tracker(slots={"pain": 7.0}, active_loop="checkin_form")
    dispatcher, events = run(ActionCrisisResponse(), tracker)
    responses = [m.get("response") for m in dispatcher.messages]
    assert responses == [
        "utter_crisis_acknowledge",
        "utter_crisis_contacts",
        "utter_crisis_offer",
        "utter_crisis_ask_safe",
    ]
    text = all_text(dispatcher)
    assert "Thank you for telling me" in text
    assert "Are you safe right now?" in text
    assert "grounding" in text
    buttons = DOMAIN["responses"]["utter_crisis_ask_safe"][0]["buttons"]
    assert [b["payload"] for b in buttons] == ["/affirm", "/deny"]
    assert ActiveLoop(None) in events
    assert not any(e.get("name") == "pain" for e in events)  # filled slots are kept


def test_crisis_reply_survives_a_failing_api(monkeypatch) -> None:
    async def broken(user_id: str, kind: str) -> None:
        raise RuntimeError("API down")

    monkeypatch.setattr(api_client, "record_safety_event", broken)
    dispatcher, _ = run(ActionCrisisResponse(), make_tracker())
    assert_contacts(dispatcher, "GB")


def test_crisis_reply_does_not_wait_for_a_slow_api(monkeypatch) -> None:
    async def slow(user_id: str, kind: str) -> None:
        await asyncio.sleep(30)

    monkeypatch.setattr(api_client, "record_safety_event", slow)

    async def go():
        dispatcher = CollectingDispatcher()
        await asyncio.wait_for(ActionCrisisResponse().run(dispatcher, make_tracker(), {}), 1)
        for task in list(safety_actions._background):
            task.cancel()
        return dispatcher

    assert helplines_custom(asyncio.run(go()))["country"] == "GB"


# ---------------------------------------------------------------- follow-ups


def test_not_safe_gives_the_emergency_number_first() -> None:
    tracker = make_tracker(intent="deny", slots={"safety_check_pending": "crisis"})
    dispatcher, events = run(ActionSafetyFollowup(), tracker)
    first = render(dispatcher.messages[0])
    assert "999" in first and first.index("999") < 40
    assert helplines_custom(dispatcher)["country"] == "GB"
    assert SlotSet("safety_check_pending", "crisis") in events


def test_safe_offers_grounding_or_a_plan() -> None:
    tracker = make_tracker(intent="affirm", slots={"safety_check_pending": "crisis"})
    dispatcher, _ = run(ActionSafetyFollowup(), tracker)
    assert [m["response"] for m in dispatcher.messages] == ["utter_crisis_safe"]


def test_red_flag_cant_do_it_gives_the_number() -> None:
    tracker = make_tracker(
        intent="deny", slots={"safety_check_pending": "red_flag:stroke", "locale": "US"}
    )
    dispatcher, _ = run(ActionSafetyFollowup(), tracker)
    assert "911" in all_text(dispatcher)


def test_recheck_is_gentle_and_asks_directly() -> None:
    dispatcher, events = run(ActionSafetyRecheck(), make_tracker(intent="misunderstood"))
    text = all_text(dispatcher)
    assert text.startswith("Thanks for telling me. I just want to be sure")
    assert "thoughts of hurting yourself" in text
    assert SlotSet("safety_check_pending", "recheck") in events


def test_light_check_is_one_light_question() -> None:
    dispatcher, _ = run(ActionLightCheck(), make_tracker(intent="light_check"))
    assert len(dispatcher.messages) == 1
    assert render(dispatcher.messages[0]) == "That sounds really hard. Are you OK?"
    assert not any(m.get("custom") for m in dispatcher.messages)


# ---------------------------------------------------------------- red flags


@pytest.mark.parametrize(
    ("category", "words"),
    [
        ("cauda_equina", "emergency care now"),
        ("stroke", "Call the emergency number, 999 now"),
        ("chest_pain", "Call the emergency number, 999 now"),
        ("infection_cancer", "see a doctor urgently, today"),
        ("injury", "get it checked today"),
    ],
)
def test_red_flag_one_message_with_action_and_number(recorded, category, words) -> None:
    tracker = make_tracker(
        intent="red_flag",
        entities=[{"entity": "red_flag_category", "value": category}],
    )
    dispatcher, events = run(ActionRedFlagResponse(), tracker)
    assert len(dispatcher.messages) == 1
    text = " ".join(render(dispatcher.messages[0]).split())
    assert words in text
    assert "999" in text
    assert text.endswith("Can you do that now?")
    buttons = DOMAIN["responses"][f"utter_red_flag_{category}"][0]["buttons"]
    assert [b["payload"] for b in buttons] == ["/affirm", "/deny"]
    assert recorded == [("user-1", f"red_flag:{category}")]


def test_red_flag_uses_the_local_emergency_number() -> None:
    tracker = make_tracker(
        intent="red_flag",
        slots={"locale": "AU"},
        entities=[{"entity": "red_flag_category", "value": "chest_pain"}],
    )
    dispatcher, _ = run(ActionRedFlagResponse(), tracker)
    assert "000" in render(dispatcher.messages[0])


def test_red_flag_without_category_from_diet_still_answers(recorded) -> None:
    dispatcher, _ = run(ActionRedFlagResponse(), make_tracker(intent="red_flag"))
    assert dispatcher.messages[0]["response"] == "utter_red_flag_general"
    assert "999" in render(dispatcher.messages[0])
    assert recorded == [("user-1", "red_flag:unspecified")]


def test_red_flag_category_from_the_safety_net_attribute() -> None:
    tracker = make_tracker(intent="red_flag", safety_net={"category": "injury"})
    dispatcher, _ = run(ActionRedFlagResponse(), tracker)
    assert dispatcher.messages[0]["response"] == "utter_red_flag_injury"


def test_international_default_names_the_local_emergency_number() -> None:
    tracker = make_tracker(
        intent="red_flag",
        slots={"locale": "default"},
        entities=[{"entity": "red_flag_category", "value": "stroke"}],
    )
    dispatcher, _ = run(ActionRedFlagResponse(), tracker)
    assert "your local emergency number (112 works in many countries)" in render(
        dispatcher.messages[0]
    )


# ---------------------------------------------------------------- locale


@pytest.mark.parametrize(
    ("text", "entity", "code"),
    [
        ("I'm in the UK", "UK", "GB"),
        ("i live in the US", "US", "US"),
        ("i'm in ireland", None, "IE"),
        ("I'm in New Zealand", "New Zealand", "NZ"),
    ],
)
def test_set_locale(text, entity, code) -> None:
    entities = [{"entity": "country", "value": entity}] if entity else []
    dispatcher, events = run(
        ActionSetLocale(), make_tracker(intent="set_locale", text=text, entities=entities)
    )
    assert SlotSet("locale", code) in events
    assert helplines_custom(dispatcher)["country"] == code


def test_set_locale_unknown_country() -> None:
    tracker = make_tracker(
        intent="set_locale",
        text="I'm in Narnia",
        entities=[{"entity": "country", "value": "Narnia"}],
    )
    dispatcher, events = run(ActionSetLocale(), tracker)
    assert dispatcher.messages[0]["response"] == "utter_locale_unknown"
    assert SlotSet("locale", "default") in events
    assert "findahelpline.com" in render(dispatcher.messages[0])


def test_locale_chosen_then_used_by_the_crisis_flow() -> None:
    _, events = run(
        ActionSetLocale(),
        make_tracker(intent="set_locale", entities=[{"entity": "country", "value": "the States"}]),
    )
    slot = next(e["value"] for e in events if e.get("name") == "locale")
    dispatcher, _ = run(ActionCrisisResponse(), make_tracker(slots={"locale": slot}))
    assert_contacts(dispatcher, "US")

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
    PLAN_SLOTS,
    ActionConcernResponse,
    ActionCrisisResponse,
    ActionHarmOthersResponse,
    ActionLightCheck,
    ActionOverdoseResponse,
    ActionRedFlagResponse,
    ActionSafetyFollowup,
    ActionSafetyPlanDone,
    ActionSafetyRecheck,
    ActionSetLocale,
    ActionThirdPartyResponse,
)

ROOT = Path(__file__).resolve().parents[2]
HELPLINES = yaml.safe_load((ROOT / "data/safety/helplines.yml").read_text(encoding="utf-8"))
GB = HELPLINES["countries"]["GB"]
US = HELPLINES["countries"]["US"]
RED_FLAGS = yaml.safe_load((ROOT / "data/safety/red_flags.yml").read_text(encoding="utf-8"))[
    "categories"
]
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
        ("infection", "Contact NHS 111 (call 111 or go to 111.nhs.uk)"),
        ("cancer_signs", "contact your doctor today"),
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
    if RED_FLAGS[category]["urgency"] == "emergency":
        assert f"the emergency number, {GB['emergency']}" in text
    else:
        assert f"NHS 111 (call {GB['urgent']['call']}" in text
    assert re.search(r"Can you do that (now|today)\?$", text)
    buttons = DOMAIN["responses"][f"utter_red_flag_{category}"][0]["buttons"]
    assert [b["payload"] for b in buttons] == ["/affirm", "/deny"]
    # Nothing is kept until the user agrees to "note it".
    assert recorded == []
    assert SlotSet("safety_check_pending", f"red_flag:{category}") in events


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
    assert recorded == []


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


# ---------------------------------------------------------------- helpers for the new flows


def answer(pending: str, intent: str, text: str = "", **slots) -> tuple[CollectingDispatcher, list]:
    """The user's reply to the last safety question (the slot says which one)."""
    tracker = make_tracker(
        intent=intent, text=text, slots={"safety_check_pending": pending, **slots}
    )
    return run(ActionSafetyFollowup(), tracker)


def flat(text: str) -> str:
    return " ".join(text.split())


def buttons_of(dispatcher: CollectingDispatcher) -> list[tuple[str, str]]:
    """(title, payload) of every button the user is shown this turn."""
    found = []
    for message in dispatcher.messages:
        name = message.get("response")
        if name:
            found += [
                (b["title"], b["payload"]) for b in DOMAIN["responses"][name][0].get("buttons", [])
            ]
        found += [(b["title"], b["payload"]) for b in message.get("buttons") or []]
    return found


def pending_after(events: list) -> str | None:
    return next(e["value"] for e in events if e.get("name") == "safety_check_pending")


def test_crisis_contacts_carry_a_sentence_naming_the_country() -> None:
    dispatcher, _ = run(ActionCrisisResponse(), make_tracker(slots={"locale": "US"}))
    text = flat(all_text(dispatcher))
    assert "These are contacts for the United States (you told me you're there)." in text
    assert "In another country? Tell me where you are." in text
    dispatcher, _ = run(ActionCrisisResponse(), make_tracker())
    assert "These are contacts for the United Kingdom" in flat(all_text(dispatcher))


# ---------------------------------------------------------------- concern


def test_concern_asks_directly_with_the_contacts_in_the_same_reply(recorded) -> None:
    tracker = make_tracker(
        intent="concern", text="I won't be a burden much longer", active_loop="checkin_form"
    )
    dispatcher, events = run(ActionConcernResponse(), tracker)
    text = flat(all_text(dispatcher))
    assert text.startswith("Thank you for telling me.")
    assert_contacts(dispatcher, "GB")
    assert "These are contacts for the United Kingdom" in text
    assert text.endswith("are you having thoughts of ending your life?")
    assert buttons_of(dispatcher) == [("Yes, I am", "/affirm"), ("No, I'm not", "/deny")]
    assert ActiveLoop(None) in events
    assert pending_after(events) == "concern"


def test_concern_yes_gives_the_full_crisis_reply(recorded) -> None:
    dispatcher, events = answer("concern", "affirm")
    assert [m.get("response") for m in dispatcher.messages] == [
        "utter_crisis_acknowledge",
        "utter_crisis_contacts",
        "utter_crisis_offer",
        "utter_crisis_ask_safe",
    ]
    assert_contacts(dispatcher, "GB")
    assert "Are you safe right now?" in all_text(dispatcher)
    assert recorded == [("user-1", "crisis")]
    assert pending_after(events) == "crisis"


def test_concern_no_is_kind_and_offers_something_to_do(recorded) -> None:
    dispatcher, events = answer("concern", "deny")
    text = flat(all_text(dispatcher))
    assert text.startswith("Thank you for answering.")
    assert "you don't need to be in crisis to call" in text
    assert [p for _, p in buttons_of(dispatcher)] == [
        "/grounding",
        "/ask_technique",
        "/start_checkin",
    ]
    assert pending_after(events) is None
    assert recorded == []


@pytest.mark.parametrize("intent", ["nlu_fallback", "inform", "greet"])
def test_concern_answered_with_something_else_is_asked_again(intent) -> None:
    dispatcher, events = answer("concern", intent, text="idk, everything is just a lot")
    text = flat(all_text(dispatcher))
    assert "are you having any thoughts of ending your life" in text
    assert buttons_of(dispatcher) == [("Yes, I am", "/affirm"), ("No, I'm not", "/deny")]
    assert pending_after(events) == "concern"


def test_concern_asked_again_then_yes_gives_the_crisis_reply(recorded) -> None:
    answer("concern", "nlu_fallback")
    dispatcher, _ = answer("concern", "affirm")
    assert "Are you safe right now?" in all_text(dispatcher)
    assert recorded == [("user-1", "crisis")]


# ---------------------------------------------------------------- overdose


def test_overdose_gb_gives_999_and_111_before_the_listening_lines(recorded) -> None:
    tracker = make_tracker(intent="overdose", text="i took a whole box of paracetamol")
    dispatcher, events = run(ActionOverdoseResponse(), tracker)
    text = flat(all_text(dispatcher))
    first = flat(render(dispatcher.messages[0]))
    assert "even if you or they feel fine" in first
    assert f"Call {GB['emergency']}, or NHS 111 if they are awake and well" in first
    assert GB["poisons"]["call"] == "111"
    assert text.index("999") < text.index("Samaritans") and text.index("111") < text.index(
        "Samaritans"
    )
    assert_contacts(dispatcher, "GB")
    assert text.endswith("Can you get medical help now?")
    assert recorded == [("user-1", "overdose")]
    assert pending_after(events) == "overdose"


def test_overdose_us_gives_911_and_poison_control_before_the_listening_lines() -> None:
    tracker = make_tracker(intent="overdose", slots={"locale": "US"})
    dispatcher, _ = run(ActionOverdoseResponse(), tracker)
    text = flat(all_text(dispatcher))
    first = flat(render(dispatcher.messages[0]))
    assert US["poisons"]["call"] == "1-800-222-1222"
    assert "Call 911, or Poison Control at 1-800-222-1222" in first
    assert text.index("1-800-222-1222") < text.index("988")
    assert text.index("911") < text.index("988")
    assert_contacts(dispatcher, "US")


@pytest.mark.parametrize("intent", ["inform", "greet", "nlu_fallback", "misunderstood"])
def test_overdose_feeling_fine_keeps_the_advice_to_get_checked(intent) -> None:
    dispatcher, events = answer("overdose", intent, text="I feel fine")
    text = flat(all_text(dispatcher))
    assert "feeling fine doesn't mean it's safe" in text
    assert "call 999, or NHS 111 if they are awake and well now" in text
    assert pending_after(events) == "overdose"


def test_overdose_cant_get_help_gives_the_emergency_number() -> None:
    dispatcher, events = answer("overdose", "deny", locale="US")
    text = flat(all_text(dispatcher))
    assert text.startswith("Please call the emergency number, 911 now")
    assert pending_after(events) == "overdose"
    dispatcher, _ = answer("overdose", "deny")
    assert flat(all_text(dispatcher)).startswith("Please call the emergency number, 999 now")


def test_overdose_getting_help_ends_the_question() -> None:
    dispatcher, events = answer("overdose", "affirm")
    assert "take the packets with you" in flat(all_text(dispatcher))
    assert pending_after(events) is None


# ---------------------------------------------------------------- harm to others


def test_harm_others_is_non_judging_with_gp_the_mental_health_line_and_999() -> None:
    tracker = make_tracker(intent="harm_others", text="i keep thinking about hurting my partner")
    dispatcher, events = run(ActionHarmOthersResponse(), tracker)
    text = flat(all_text(dispatcher))
    assert "I'm not judging you" in text
    mental = GB["mental_health_urgent"]
    assert (
        f"your GP, or {mental['name']} (call {mental['call']} and choose the mental health "
        "option)" in text
    )
    assert "call the emergency number, 999" in text
    assert "midwife" not in text
    assert text.endswith("Is anyone in danger right now?")
    assert pending_after(events) == "harm_others"


def test_harm_others_about_a_baby_adds_midwife_or_health_visitor() -> None:
    tracker = make_tracker(intent="harm_others", text="I'm scared I'll hurt my baby")
    dispatcher, events = run(ActionHarmOthersResponse(), tracker)
    assert "your GP, midwife or health visitor, or NHS 111" in flat(all_text(dispatcher))
    assert pending_after(events) == "harm_others:baby"


def test_harm_others_someone_in_danger_gives_the_emergency_number() -> None:
    dispatcher, events = answer("harm_others", "affirm")
    assert flat(all_text(dispatcher)).startswith("Please call the emergency number, 999 now")
    assert pending_after(events) is None
    dispatcher, _ = answer("harm_others", "affirm", locale="US")
    assert "the emergency number, 911 now" in all_text(dispatcher)


def test_harm_others_no_one_in_danger_keeps_the_midwife_and_gives_the_contacts() -> None:
    dispatcher, events = answer("harm_others:baby", "deny")
    text = flat(all_text(dispatcher))
    assert "talk to your GP, midwife or health visitor soon" in text
    assert helplines_custom(dispatcher)["country"] == "GB"
    assert "Samaritans: call 116 123" in text
    assert pending_after(events) is None


def test_harm_others_no_danger_lists_the_contacts_on_their_own_lines() -> None:
    # What the user reads: the contact lines below the sentence, not a literal "\n".
    dispatcher, _ = answer("harm_others", "deny")
    text = render(dispatcher.messages[0])
    assert "\\n" not in text
    assert "right now:\n• Emergency services: call 999" in text


# ---------------------------------------------------------------- someone else at risk


def test_third_party_says_how_to_help_them_and_gives_the_contacts() -> None:
    tracker = make_tracker(intent="third_party", text="my friend is suicidal, what should i do")
    dispatcher, events = run(ActionThirdPartyResponse(), tracker)
    text = flat(all_text(dispatcher))
    assert "ask them directly whether they're thinking about suicide" in text
    assert "asking doesn't put the idea in their head" in text
    assert "listen without judging" in text
    assert "look after yourself too" in text
    assert "call the emergency number, 999" in text
    assert_contacts(dispatcher, "GB")
    assert "These are contacts for the United Kingdom" in text
    assert text.endswith("Are they in danger right now?")
    assert pending_after(events) == "third_party"


def test_third_party_in_danger_now_gives_the_emergency_number() -> None:
    dispatcher, events = answer("third_party", "affirm", locale="US")
    assert flat(all_text(dispatcher)).startswith("Please call the emergency number, 911 now")
    assert pending_after(events) is None


def test_third_party_not_in_danger_is_reassured() -> None:
    dispatcher, events = answer("third_party", "deny")
    assert "You're doing the right thing" in all_text(dispatcher)
    assert pending_after(events) is None


# ---------------------------------------------------------------- red flags, every category


def test_every_red_flag_category_has_its_own_reply_in_the_domain() -> None:
    missing = [c for c in RED_FLAGS if f"utter_red_flag_{c}" not in DOMAIN["responses"]]
    assert missing == []
    # The issue's categories, and the two the outside authors' blind sets added (an eye
    # that may lose its sight, a bladder that will not empty).
    assert {
        "cauda_equina", "stroke", "chest_pain", "breathing", "pulmonary_embolism", "dvt",
        "sepsis", "meningitis", "head_injury", "bleeding", "abdominal", "infection",
        "cancer_signs", "spinal_cord_compression", "giant_cell_arteritis", "injury",
        "urinary_retention", "vision",
    } <= set(RED_FLAGS)


@pytest.mark.parametrize("category", sorted(RED_FLAGS))
def test_red_flag_reply_names_the_number_its_urgency_needs(category) -> None:
    tracker = make_tracker(
        intent="red_flag", entities=[{"entity": "red_flag_category", "value": category}]
    )
    dispatcher, _ = run(ActionRedFlagResponse(), tracker)
    assert dispatcher.messages[0]["response"] == f"utter_red_flag_{category}"
    text = flat(render(dispatcher.messages[0]))
    if RED_FLAGS[category]["urgency"] == "same_day":
        assert f"{GB['urgent']['name']} (call {GB['urgent']['call']} or go to 111.nhs.uk)" in text
    else:
        assert RED_FLAGS[category]["urgency"] == "emergency"
        assert f"the emergency number, {GB['emergency']}" in text
        assert "NHS 111" not in text
    assert [p for _, p in buttons_of(dispatcher)] == ["/affirm", "/deny"]
    # Same reply in the US: 911, never a UK number.
    us, _ = run(
        ActionRedFlagResponse(),
        make_tracker(
            intent="red_flag",
            slots={"locale": "US"},
            entities=[{"entity": "red_flag_category", "value": category}],
        ),
    )
    us_text = flat(render(us.messages[0]))
    if RED_FLAGS[category]["urgency"] == "emergency":
        assert "the emergency number, 911" in us_text
    else:
        assert "an urgent care clinic or your own doctor, today" in us_text
    assert "999" not in us_text and "111" not in us_text


@pytest.mark.parametrize("category", sorted(RED_FLAGS))
def test_red_flag_misread_says_sorry_and_what_to_do_if_it_does_happen(recorded, category) -> None:
    dispatcher, events = answer(f"red_flag:{category}", "misunderstood")
    text = flat(all_text(dispatcher))
    assert text.startswith("Sorry, I misread that.")
    about = RED_FLAGS[category]["about"]
    assert f"if you ever have {about}, don't wait: call the emergency number, 999" in text
    if RED_FLAGS[category]["urgency"] == "same_day":
        assert text.endswith("or NHS 111 (call 111 or go to 111.nhs.uk) if it is not an emergency.")
    else:
        assert text.endswith("call the emergency number, 999.")
    assert "{" not in text
    assert pending_after(events) is None
    assert recorded == []


@pytest.mark.parametrize("reply", ["affirm", "deny"])
def test_red_flag_is_noted_only_after_yes_note_it(recorded, reply) -> None:
    run(
        ActionRedFlagResponse(),
        make_tracker(
            intent="red_flag", entities=[{"entity": "red_flag_category", "value": "stroke"}]
        ),
    )
    assert recorded == []
    dispatcher, events = answer("red_flag:stroke", reply)
    assert recorded == []
    text = flat(all_text(dispatcher))
    if reply == "deny":
        assert text.startswith("If you can't get there yourself, call the emergency number, 999")
    assert "Would you like me to note in your records that you had these symptoms today?" in text
    assert ("Yes, note it", "/affirm") in buttons_of(dispatcher)
    assert ("No, thanks", "/deny") in buttons_of(dispatcher)
    assert pending_after(events) == "red_flag_note:stroke"

    dispatcher, events = answer("red_flag_note:stroke", "affirm")
    assert recorded == [("user-1", "red_flag:stroke")]
    assert all_text(dispatcher).startswith("Noted.")
    assert pending_after(events) is None


def test_red_flag_no_thanks_records_nothing(recorded) -> None:
    _, events = answer("red_flag:dvt", "affirm")
    assert pending_after(events) == "red_flag_note:dvt"
    dispatcher, events = answer("red_flag_note:dvt", "deny")
    assert "I haven't noted anything" in all_text(dispatcher)
    assert recorded == []
    assert pending_after(events) is None


def test_harm_others_in_the_us_names_988_as_a_service_that_can_help() -> None:
    # CONTENT.md "Safety" 10: "GP/111 or 988 can help". The US reply has no contacts card,
    # so the words themselves must name 988.
    assert any(c.get("call") == "988" for c in US["contacts"])
    tracker = make_tracker(
        intent="harm_others",
        text="i keep thinking about hurting my partner",
        slots={"locale": "US"},
    )
    dispatcher, _ = run(ActionHarmOthersResponse(), tracker)
    assert "988" in all_text(dispatcher)


@pytest.mark.parametrize("country", sorted(HELPLINES["countries"]))
def test_harm_others_names_the_gp_once_in_every_country(country) -> None:
    tracker = make_tracker(
        intent="harm_others",
        text="i keep thinking about hurting my partner",
        slots={"locale": country},
    )
    dispatcher, _ = run(ActionHarmOthersResponse(), tracker)
    text = flat(render(dispatcher.messages[0]))
    assert "your GP, or your GP" not in text
    assert "{" not in text


def test_the_safety_plan_is_shown_back_once_then_forgotten() -> None:
    tracker = make_tracker(intent="deny", text="no")
    tracker.slots.update(
        {"plan_person": "my nan", "plan_calm": "the {radio}", "plan_safer": "pills to my sister"}
    )
    dispatcher, events = run(ActionSafetyPlanDone(), tracker)
    message = dispatcher.messages[0]
    assert message["response"] == "utter_safety_plan_done"
    assert (message["plan_person"], message["plan_calm"]) == ("my nan", "the (radio)")
    assert message["plan_safer"] == "pills to my sister"
    assert [(e["name"], e["value"]) for e in events] == [(slot, None) for slot in PLAN_SLOTS]

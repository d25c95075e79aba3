"""The NLU fallback: no loop of "please rephrase"."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionFallback
from bot.nlu.language import LANGUAGE_ATTRIBUTE, OTHER_LANGUAGE
from bot.nlu.wordless import WORDLESS_ATTRIBUTE


def tracker_with_intents(*intents: str) -> Tracker:
    events = [
        {"event": "user", "text": name, "parse_data": {"intent": {"name": name}}}
        for name in intents
    ]
    return Tracker.from_dict(
        {
            "sender_id": "u1",
            "slots": {},
            "events": events,
            "paused": False,
            "latest_message": events[-1]["parse_data"] | {"text": intents[-1]},
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


async def test_second_misunderstanding_in_a_row_offers_the_topic_menu():
    first, second = CollectingDispatcher(), CollectingDispatcher()
    await ActionFallback().run(first, tracker_with_intents("greet", "nlu_fallback"), {})
    await ActionFallback().run(second, tracker_with_intents("nlu_fallback", "nlu_fallback"), {})
    assert first.messages[0]["response"] == "utter_please_rephrase"
    assert second.messages[0]["response"] == "utter_topic_menu"


async def test_a_score_the_nlu_missed_is_kept_and_a_check_in_offered():
    tracker = tracker_with_intents("greet", "nlu_fallback")
    tracker.latest_message["text"] = "my pain is 9 today"
    dispatcher = CollectingDispatcher()
    events = await ActionFallback().run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["response"] == "utter_offer_checkin_kept"
    assert [e["value"]["scores"] for e in events if e["name"] == "typed_scores"] == [{"pain": 9}]


async def test_out_of_scope_gets_a_friendly_boundary():
    dispatcher = CollectingDispatcher()
    await ActionFallback().run(dispatcher, tracker_with_intents("greet", "out_of_scope"), {})
    assert dispatcher.messages[0]["response"] == "utter_out_of_scope"


# ---------------------------------------------------------------- inside a safety conversation

ROOT = Path(__file__).resolve().parents[2]
SAFETY_DOMAIN = yaml.safe_load((ROOT / "bot/domain/safety.yml").read_text(encoding="utf-8"))
CORE_DOMAIN_TEXTS = {
    name: variants[0].get("text", "")
    for path in (ROOT / "bot/domain").glob("*.yml")
    for name, variants in (
        yaml.safe_load(path.read_text(encoding="utf-8")).get("responses") or {}
    ).items()
}


def said(message: dict) -> str:
    """The words the user gets, with the action's placeholders filled in."""
    template = CORE_DOMAIN_TEXTS.get(message.get("response"), message.get("text") or "")
    return " ".join(re.sub(r"\{(\w+)\}", lambda m: str(message.get(m.group(1))), template).split())


def tracker_after(bot_action: str, pending: str | None, typed: str = "asdf qwerty") -> Tracker:
    """The bot's last step was `bot_action`; the user then typed something NLU could not read."""
    unread = {"intent": {"name": "nlu_fallback", "confidence": 0.3}, "entities": [], "text": typed}
    # Rasa marks every bot message with the response it came from (metadata.utter_action).
    said_it = [{"event": "bot", "text": "...", "metadata": {"utter_action": bot_action}}]
    events = [
        {"event": "user", "text": "...", "parse_data": {"intent": {"name": "crisis"}}},
        {"event": "action", "name": bot_action},
        *(said_it if bot_action.startswith("utter_") else []),
        {"event": "slot", "name": "safety_check_pending", "value": pending},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": typed, "parse_data": unread},
    ]
    return tracker_with(events, pending, unread)


def tracker_with(events: list[dict], pending: str | None, unread: dict) -> Tracker:
    """A tracker whose latest message is `unread`, with the safety slot at `pending`."""
    return Tracker.from_dict(
        {
            "sender_id": "u1",
            "slots": {"safety_check_pending": pending, "locale": None},
            "events": events,
            "paused": False,
            "latest_message": unread,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


async def fallback_reply(tracker: Tracker) -> tuple[CollectingDispatcher, list]:
    dispatcher = CollectingDispatcher()
    events = await ActionFallback().run(dispatcher, tracker, {})
    return dispatcher, events


NOT_UNDERSTOOD = {"utter_please_rephrase", "utter_topic_menu", "utter_out_of_scope"}


async def test_typed_text_after_the_crisis_reply_gets_a_safety_reply_not_say_it_another_way():
    dispatcher, events = await fallback_reply(tracker_after("action_crisis_response", "crisis"))
    assert not NOT_UNDERSTOOD & {m.get("response") for m in dispatcher.messages}
    text = " ".join(said(m) for m in dispatcher.messages)
    assert "didn't quite get that" not in text
    assert text.startswith("Please call the emergency number, 999 now")
    assert any((m.get("custom") or {}).get("type") == "helplines" for m in dispatcher.messages)
    assert {
        "event": "slot",
        "timestamp": None,
        "name": "safety_check_pending",
        "value": "crisis",
    } in events


async def test_typed_text_after_the_grounding_exercise_stays_in_the_safety_conversation():
    dispatcher, _ = await fallback_reply(tracker_after("utter_grounding", None))
    assert [m.get("response") for m in dispatcher.messages] == ["utter_safety_still_here"]
    text = said(dispatcher.messages[0])
    assert text.startswith("I'm here with you.")
    assert "call the emergency number, 999" in text


async def test_typed_text_after_the_finished_safety_plan_stays_in_the_safety_conversation():
    dispatcher, _ = await fallback_reply(tracker_after("utter_safety_plan_done", None, "ok"))
    assert [m.get("response") for m in dispatcher.messages] == ["utter_safety_still_here"]


async def test_typed_text_after_the_concern_question_asks_it_again():
    dispatcher, _ = await fallback_reply(tracker_after("action_concern_response", "concern"))
    assert [m.get("response") for m in dispatcher.messages] == ["utter_concern_ask_again"]
    assert "thoughts of ending your life" in said(dispatcher.messages[0])


async def test_typed_text_after_overdose_advice_keeps_the_advice():
    dispatcher, _ = await fallback_reply(tracker_after("action_overdose_response", "overdose"))
    assert "call 999, or NHS 111 if they are awake and well" in said(dispatcher.messages[0])


async def test_outside_a_safety_conversation_the_old_fallback_stays():
    dispatcher, _ = await fallback_reply(tracker_after("utter_greet", None))
    assert [m.get("response") for m in dispatcher.messages] == ["utter_please_rephrase"]


async def test_after_a_light_check_typed_text_gets_the_ordinary_fallback():
    dispatcher, _ = await fallback_reply(tracker_after("action_light_check", "light_check"))
    assert [m.get("response") for m in dispatcher.messages] == ["utter_please_rephrase"]


async def test_two_unread_messages_in_a_crisis_still_get_safety_replies_not_the_topic_menu():
    tracker = tracker_after("action_crisis_response", "crisis")
    unread = {"intent": {"name": "nlu_fallback", "confidence": 0.2}, "entities": [], "text": "zzz"}
    events = [
        *tracker.events,
        {"event": "action", "name": "action_fallback"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "zzz", "parse_data": unread},
    ]
    tracker = tracker_with(events, "crisis", unread)
    dispatcher, _ = await fallback_reply(tracker)
    assert "utter_topic_menu" not in {m.get("response") for m in dispatcher.messages}
    assert said(dispatcher.messages[0]).startswith("Please call the emergency number, 999 now")


async def test_after_no_to_the_recheck_unread_text_is_not_asked_about_ending_their_life_again():
    # light check "Not really" -> action_safety_recheck (slot "recheck") -> "No, I'm not" ->
    # the follow-up answers with utter_recheck_ok and clears the slot. The safety question
    # has been answered; later unread text gets the ordinary fallback.
    unread = {
        "intent": {"name": "nlu_fallback", "confidence": 0.3},
        "entities": [],
        "text": "hmm ok",
    }
    events = [
        {"event": "action", "name": "action_light_check"},
        {"event": "slot", "name": "safety_check_pending", "value": "light_check"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "not really", "parse_data": {"intent": {"name": "deny"}}},
        {"event": "action", "name": "action_safety_recheck"},
        {"event": "slot", "name": "safety_check_pending", "value": "recheck"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "no", "parse_data": {"intent": {"name": "deny"}}},
        {"event": "action", "name": "action_safety_followup"},
        {
            "event": "bot",
            "text": "Thank you for letting me know",
            "metadata": {"utter_action": "utter_recheck_ok"},
        },
        {"event": "slot", "name": "safety_check_pending", "value": None},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "hmm ok", "parse_data": unread},
    ]
    tracker = tracker_with(events, None, unread)
    dispatcher, _ = await fallback_reply(tracker)
    text = " ".join(said(m) for m in dispatcher.messages)
    assert "thoughts of ending your life" not in text
    assert [m.get("response") for m in dispatcher.messages] == ["utter_please_rephrase"]


async def test_a_message_in_another_language_is_told_cadence_speaks_english_only():
    tracker = tracker_with_intents("nlu_fallback")
    tracker.latest_message["text"] = "hola, estoy muy cansada y tengo mucho dolor"
    tracker.latest_message[LANGUAGE_ATTRIBUTE] = OTHER_LANGUAGE  # what LanguageGate leaves
    dispatcher = CollectingDispatcher()
    await ActionFallback().run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["response"] == "utter_english_only"


async def test_an_emoji_alone_gets_a_friendly_nudge_with_next_steps():
    tracker = tracker_with_intents("nlu_fallback")
    tracker.latest_message["text"] = "🙂"
    tracker.latest_message[WORDLESS_ATTRIBUTE] = True  # what WordlessGate leaves
    dispatcher = CollectingDispatcher()
    await ActionFallback().run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["response"] == "utter_wordless_nudge"

"""The NLU fallback: no loop of "please rephrase"."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionFallback


def tracker_with_intents(*intents: str) -> Tracker:
    events = [{"event": "user", "text": name, "parse_data": {"intent": {"name": name}}}
              for name in intents]
    return Tracker.from_dict({
        "sender_id": "u1", "slots": {}, "events": events, "paused": False,
        "latest_message": events[-1]["parse_data"] | {"text": intents[-1]},
        "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen",
    })


async def test_second_misunderstanding_in_a_row_offers_the_topic_menu():
    first, second = CollectingDispatcher(), CollectingDispatcher()
    await ActionFallback().run(first, tracker_with_intents("greet", "nlu_fallback"), {})
    await ActionFallback().run(second, tracker_with_intents("nlu_fallback", "nlu_fallback"), {})
    assert first.messages[0]["response"] == "utter_please_rephrase"
    assert second.messages[0]["response"] == "utter_topic_menu"


async def test_out_of_scope_gets_a_friendly_boundary():
    dispatcher = CollectingDispatcher()
    await ActionFallback().run(dispatcher, tracker_with_intents("greet", "out_of_scope"), {})
    assert dispatcher.messages[0]["response"] == "utter_out_of_scope"


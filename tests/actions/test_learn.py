"""Learning actions, driven by Tracker.from_dict fixtures and a CollectingDispatcher."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.learn import (
    ActionAnswerLearn,
    ActionDefineTerm,
    ActionLearnAction,
    ActionLearnMore,
    ActionLearnSource,
    ActionPemScreen,
)
from bot.knowledge import TOPIC_KEYS, load_glossary, load_topics

TOPICS = load_topics()
FOLLOW_UPS = ["/learn_more", "/learn_action", "/learn_source"]
LISTEN_NEXT = FollowupAction("action_listen")
TOPIC_ACTIONS = [ActionAnswerLearn(), ActionLearnMore(), ActionLearnAction(), ActionLearnSource()]


def make_tracker(
    intent: str = "learn",
    text: str = "",
    slots: dict | None = None,
    entities: list | None = None,
    retrieval_key: str | None = None,
    active_loop: str | None = None,
) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.98},
        "entities": entities or [],
    }
    if retrieval_key:
        latest["response_selector"] = {
            "all_retrieval_intents": ["learn"],
            "learn": {
                "response": {
                    "intent_response_key": retrieval_key,
                    "responses": [{"text": "..."}],
                    "confidence": 0.97,
                    "utter_action": f"utter_{retrieval_key}",
                },
                "ranking": [],
            },
        }
    return Tracker.from_dict(
        {
            "sender_id": "learner",
            "slots": {"topic": None, "pem": None, "pem_pending": None, **(slots or {})},
            "latest_message": latest,
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": "action_listen",
        }
    )


def run(action, tracker: Tracker) -> tuple[list[dict], list]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages, events


def payloads(message: dict) -> list[str]:
    return [button["payload"] for button in message.get("buttons") or []]


def related_payload(key: str) -> str:
    return "/learn_topic" + json.dumps({"topic": key})


@pytest.mark.parametrize("key", [k for k in TOPIC_KEYS if k != "physical_therapy"])
def test_answer_renders_short_text_follow_ups_and_related(key):
    messages, events = run(ActionAnswerLearn(), make_tracker(retrieval_key=f"learn/{key}"))
    assert len(messages) == 1
    assert messages[0]["text"] == TOPICS.topics[key].short
    buttons = payloads(messages[0])
    assert buttons[:3] == FOLLOW_UPS
    related = TOPICS.topics[key].related[:2]
    assert buttons[3:] == [related_payload(rel) for rel in related]
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert titles[:3] == ["Tell me more", "What can I do?", "Where is this from?"]
    assert titles[3:] == [TOPICS.topics[rel].title for rel in related]
    assert SlotSet("topic", key) in events


def test_related_topic_button_uses_the_topic_entity():
    tracker = make_tracker(
        intent="learn_topic",
        text='/learn_topic{"topic": "sleep_link"}',
        entities=[{"entity": "topic", "value": "sleep_link"}],
    )
    messages, events = run(ActionAnswerLearn(), tracker)
    assert messages[0]["text"] == TOPICS.topics["sleep_link"].short
    assert SlotSet("topic", "sleep_link") in events


def test_related_payload_is_the_contract_format():
    assert related_payload("sleep_link") == '/learn_topic{"topic": "sleep_link"}'


def test_unknown_topic_offers_a_menu():
    tracker = make_tracker(
        intent="learn_topic", entities=[{"entity": "topic", "value": "astrology"}]
    )
    messages, events = run(ActionAnswerLearn(), tracker)
    assert events == [LISTEN_NEXT]
    assert all(p.startswith("/learn_topic") for p in payloads(messages[0]))
    assert len(payloads(messages[0])) >= 3


def test_learn_more_answers_on_the_topic_slot():
    messages, events = run(
        ActionLearnMore(), make_tracker(intent="learn_more", slots={"topic": "stress_link"})
    )
    assert messages[0]["text"] == TOPICS.topics["stress_link"].more
    assert "/learn_action" in payloads(messages[0])
    assert "/learn_source" in payloads(messages[0])
    assert events == [LISTEN_NEXT]


@pytest.mark.parametrize("action", [ActionLearnMore(), ActionLearnAction(), ActionLearnSource()])
def test_follow_up_without_a_topic_offers_a_menu(action):
    messages, events = run(action, make_tracker(intent="learn_more"))
    assert len(messages) == 1
    assert "topic" in messages[0]["text"].lower()
    assert all(p.startswith("/learn_topic") for p in payloads(messages[0]))
    assert events == [LISTEN_NEXT]


def test_source_includes_links_and_last_reviewed_date():
    messages, _ = run(
        ActionLearnSource(), make_tracker(intent="learn_source", slots={"topic": "sleep_link"})
    )
    text = messages[0]["text"]
    topic = TOPICS.topics["sleep_link"]
    for source in topic.sources:
        assert source.url in text
        assert source.title in text
    assert topic.last_reviewed.isoformat() in text


def test_learn_action_on_a_non_activity_topic_gives_for_you():
    messages, events = run(
        ActionLearnAction(), make_tracker(intent="learn_action", slots={"topic": "nutrition"})
    )
    assert messages[0]["text"] == TOPICS.topics["nutrition"].for_you
    assert "/ask_technique" in payloads(messages[0])
    assert SlotSet("pem_pending", None) in events


def _is_pem_question(message: dict) -> bool:
    return message["text"] == TOPICS.pem_screen.question and payloads(message) == [
        "/affirm",
        "/deny",
    ]


def test_pem_gate_asks_before_physical_therapy():
    messages, events = run(
        ActionAnswerLearn(), make_tracker(retrieval_key="learn/physical_therapy")
    )
    assert len(messages) == 1 and _is_pem_question(messages[0])
    assert SlotSet("topic", "physical_therapy") in events
    assert SlotSet("pem_pending", "answer") in events


def test_pem_gate_asks_before_advice_on_activity_topics():
    for key in (k for k, t in TOPICS.topics.items() if t.activity_advice):
        messages, events = run(
            ActionLearnAction(), make_tracker(intent="learn_action", slots={"topic": key})
        )
        assert _is_pem_question(messages[0]), key
        assert events == [SlotSet("pem_pending", "action"), LISTEN_NEXT]


def test_pem_yes_is_remembered_and_gives_pacing():
    tracker = make_tracker(
        intent="affirm", slots={"topic": "physical_therapy", "pem_pending": "answer"}
    )
    messages, events = run(ActionPemScreen(), tracker)
    assert SlotSet("pem", True) in events
    assert SlotSet("pem_pending", None) in events
    texts = [m.get("text") for m in messages]
    assert TOPICS.topics["physical_therapy"].short in texts
    assert TOPICS.activity_advice.pem in texts
    assert TOPICS.activity_advice.no_pem not in texts
    assert payloads(messages[-1])[:3] == FOLLOW_UPS


def test_pem_no_is_remembered_and_gives_gentle_activity():
    tracker = make_tracker(intent="deny", slots={"topic": "fatigue", "pem_pending": "action"})
    messages, events = run(ActionPemScreen(), tracker)
    assert SlotSet("pem", False) in events
    texts = [m.get("text") for m in messages]
    assert TOPICS.topics["fatigue"].for_you in texts
    assert TOPICS.activity_advice.no_pem in texts
    assert TOPICS.activity_advice.pem not in texts


@pytest.mark.parametrize("pem", [True, False])
def test_pem_known_is_not_asked_again(pem):
    tracker = make_tracker(retrieval_key="learn/physical_therapy", slots={"pem": pem})
    messages, events = run(ActionAnswerLearn(), tracker)
    assert not any(_is_pem_question(m) for m in messages)
    advice = TOPICS.activity_advice.pem if pem else TOPICS.activity_advice.no_pem
    assert [m["text"] for m in messages] == [TOPICS.topics["physical_therapy"].short, advice]
    assert SlotSet("pem_pending", None) in events

    tracker = make_tracker(intent="learn_action", slots={"topic": "management", "pem": pem})
    messages, _ = run(ActionLearnAction(), tracker)
    assert [m["text"] for m in messages] == [TOPICS.topics["management"].for_you, advice]


def with_events(tracker: Tracker, events: list[dict]) -> Tracker:
    state = tracker.current_state()
    return Tracker.from_dict({**state, "events": events})


def test_pem_is_asked_once_a_conversation_even_if_it_was_not_answered():
    asked_before = [{"event": "slot", "name": "pem_pending", "value": "answer"}]
    tracker = with_events(make_tracker(retrieval_key="learn/physical_therapy"), asked_before)
    messages, events = run(ActionAnswerLearn(), tracker)
    assert not any(_is_pem_question(m) for m in messages)
    assert messages and SlotSet("pem_pending", "answer") not in events
    # after "Start over" (or in a new session) it may be asked again
    restarted = with_events(tracker, [*asked_before, {"event": "restart"}])
    messages, _ = run(ActionAnswerLearn(), restarted)
    assert _is_pem_question(messages[0])


def test_pem_not_asked_mid_check_in():
    tracker = make_tracker(retrieval_key="learn/physical_therapy", active_loop="checkin_form")
    messages, events = run(ActionAnswerLearn(), tracker)
    assert messages[0]["text"] == TOPICS.topics["physical_therapy"].short
    assert SlotSet("pem_pending", "answer") not in events


@pytest.mark.parametrize(
    ("entity", "text", "key"),
    [
        ("cortisol", "what does cortisol mean", "cortisol"),
        ("central sensitization", "what is central sensitization", "central_sensitisation"),
        ("central_sensitisation", "define central sensitisation", "central_sensitisation"),
        (None, "what does PEM stand for", "pem"),
        ("fibro", "define fibro", "fibromyalgia"),
    ],
)
def test_define_term(entity, text, key):
    entities = [{"entity": "term", "value": entity}] if entity else []
    tracker = make_tracker(intent="define_term", text=text, entities=entities)
    messages, events = run(ActionDefineTerm(), tracker)
    entry = load_glossary().terms[key]
    assert entry.definition in messages[0]["text"]
    assert payloads(messages[0]) == [related_payload(entry.topic)]
    assert events == [SlotSet("topic", entry.topic)]


def test_unknown_term_lists_known_words():
    tracker = make_tracker(intent="define_term", text="what does quux mean")
    messages, events = run(ActionDefineTerm(), tracker)
    assert "Cortisol" in messages[0]["text"]
    assert events == []


@pytest.mark.parametrize("action", TOPIC_ACTIONS, ids=lambda action: action.name())
@pytest.mark.parametrize("topic", [None, "sleep_link"])
def test_an_answer_ends_the_turn_outside_a_form_and_not_in_one(action, topic):
    tracker = make_tracker(
        retrieval_key=f"learn/{topic}" if topic else None, slots={"topic": topic, "pem": False}
    )
    _, events = run(action, tracker)
    assert events[-1] == LISTEN_NEXT and events.count(LISTEN_NEXT) == 1

    in_form = make_tracker(
        retrieval_key=f"learn/{topic}" if topic else None,
        slots={"topic": topic, "pem": False},
        active_loop="checkin_form",
    )
    _, events = run(action, in_form)
    assert LISTEN_NEXT not in events


def test_every_rule_and_story_has_rasa_listen_after_a_topic_answer_outside_a_form():
    """What `end_of_turn` tells Rasa must be what the rules would have predicted: after
    these actions, with no form running, the next step is the user's."""
    names = {action.name() for action in TOPIC_ACTIONS}
    checked = 0
    for path in [*Path("data/rules").glob("*.yml"), *Path("data/stories").glob("*.yml")]:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for block in data.get("rules", []) + data.get("stories", []):
            loop = next(
                (c["active_loop"] for c in block.get("condition", []) if "active_loop" in c), None
            )
            steps = block["steps"]
            for index, step in enumerate(steps):
                if "active_loop" in step:
                    loop = step["active_loop"]
                if step.get("action") not in names or loop:
                    continue
                after = [s for s in steps[index + 1 :] if "slot_was_set" not in s][:1]
                assert not after or "intent" in after[0] or "or" in after[0], (
                    path,
                    block.get("rule") or block.get("story"),
                )
                if not after:
                    assert block.get("wait_for_user_input", True), block
                checked += 1
    assert checked >= 8

"""Learning conversation: layered topic answers, follow-ups, glossary and the PEM gate.

Thin on purpose: every word comes from data/knowledge/*.yml through bot.knowledge; this
module only decides which piece to show and which buttons to offer.
"""

from __future__ import annotations

import abc
import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.knowledge import RETRIEVAL_INTENT, TOPIC_KEYS, Topic, find_term, load_glossary, load_topics

# Topics whose first answer is itself exercise advice: ask about PEM before answering.
ANSWER_GATED_TOPICS = frozenset({"physical_therapy"})
# Shown when a follow-up arrives before any topic was discussed.
MENU_TOPICS = ("pain_fatigue_link", "vicious_cycle", "sleep_link", "pacing", "stress_link")
MAX_RELATED = 2

MORE = {"title": "Tell me more", "payload": "/learn_more"}
ACTION = {"title": "What can I do?", "payload": "/learn_action"}
SOURCE = {"title": "Where is this from?", "payload": "/learn_source"}
TECHNIQUE = {"title": "Suggest a technique", "payload": "/ask_technique"}


def topic_button(key: str) -> dict[str, str]:
    payload = "/learn_topic" + json.dumps({"topic": key})
    return {"title": load_topics().topics[key].title, "payload": payload}


def related_buttons(key: str) -> list[dict[str, str]]:
    return [topic_button(rel) for rel in load_topics().topics[key].related[:MAX_RELATED]]


def selected_topic(tracker: Tracker) -> str | None:
    """The topic the ResponseSelector chose, or the one a related-topic button carries."""
    selector = tracker.latest_message.get("response_selector") or {}
    for name in (RETRIEVAL_INTENT, "default"):
        response = (selector.get(name) or {}).get("response") or {}
        key = response.get("intent_response_key") or ""
        prefix, _, topic = key.partition("/")
        if prefix == RETRIEVAL_INTENT and topic in TOPIC_KEYS:
            return topic
    for value in tracker.get_latest_entity_values("topic"):
        if value in TOPIC_KEYS:
            return str(value)
    return None


def current_topic(tracker: Tracker) -> str | None:
    topic = tracker.get_slot("topic")
    return topic if topic in TOPIC_KEYS else None


def in_form(tracker: Tracker) -> bool:
    return bool((tracker.active_loop or {}).get("name"))


def needs_pem_question(tracker: Tracker) -> bool:
    # Mid check-in a yes/no would be read as a form answer, so don't ask there; the
    # short answers are written to be safe either way. Asked once a conversation: someone
    # who let it pass is not asked again at every activity topic.
    return tracker.get_slot("pem") is None and not in_form(tracker) and not pem_asked(tracker)


def pem_asked(tracker: Tracker) -> bool:
    """Whether the PEM question was asked since the conversation started (a new session
    or "Start over"); Rasa sends the whole history, so stop at its last start."""
    for event in reversed(tracker.events):
        if event.get("event") in ("restart", "session_started"):
            return False
        if (
            event.get("event") == "slot"
            and event.get("name") == "pem_pending"
            and event.get("value")
        ):
            return True
    return False


def end_of_turn(tracker: Tracker) -> list[EventType]:
    """Outside a form, an answer about a topic is the end of the bot's turn: every rule
    that runs these actions has Rasa listen next (tests/actions/test_learn.py checks the
    rules for it). Saying so here spares Rasa its second policy prediction of the turn,
    which would only find that out again: 1.4 ms of a 26 ms FAQ turn in Rasa (measured
    in-process, interleaved). In a form, the form asks its question again next, as its
    rules say."""
    return [] if in_form(tracker) else [FollowupAction("action_listen")]


def utter_topic_menu(dispatcher: CollectingDispatcher) -> None:
    dispatcher.utter_message(
        text="Happy to explain. Which topic would you like to start with?",
        buttons=[topic_button(key) for key in MENU_TOPICS],
    )


def ask_pem(dispatcher: CollectingDispatcher) -> None:
    screen = load_topics().pem_screen
    dispatcher.utter_message(
        text=screen.question,
        buttons=[
            {"title": screen.yes_title, "payload": "/affirm"},
            {"title": screen.no_title, "payload": "/deny"},
        ],
    )


def activity_advice(pem: bool) -> str:
    advice = load_topics().activity_advice
    return advice.pem if pem else advice.no_pem


def utter_answer(dispatcher: CollectingDispatcher, key: str, pem: bool | None) -> None:
    topic: Topic = load_topics().topics[key]
    buttons = [MORE, ACTION, SOURCE, *related_buttons(key)]
    if key in ANSWER_GATED_TOPICS and pem is not None:
        dispatcher.utter_message(text=topic.short)
        dispatcher.utter_message(text=activity_advice(pem), buttons=buttons)
    else:
        dispatcher.utter_message(text=topic.short, buttons=buttons)


def utter_for_you(dispatcher: CollectingDispatcher, key: str, pem: bool | None) -> None:
    topic = load_topics().topics[key]
    buttons = [MORE, SOURCE, TECHNIQUE, *related_buttons(key)]
    if topic.activity_advice and pem is not None:
        dispatcher.utter_message(text=topic.for_you)
        dispatcher.utter_message(text=activity_advice(pem), buttons=buttons)
    else:
        dispatcher.utter_message(text=topic.for_you, buttons=buttons)


class TopicFollowUp(Action, abc.ABC):
    """Something said about one topic (by default the one just discussed); with no topic,
    offer the menu instead.

    Abstract, so rasa_sdk does not register it as an action of its own."""

    def topic_of(self, tracker: Tracker) -> str | None:
        return current_topic(tracker)

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        key = self.topic_of(tracker)
        if key is None:
            utter_topic_menu(dispatcher)
            events = []
        else:
            events = self.follow_up(dispatcher, tracker, key)
        return events + end_of_turn(tracker)

    @abc.abstractmethod
    def follow_up(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, key: str
    ) -> list[EventType]: ...


class ActionAnswerLearn(TopicFollowUp):
    """The short answer to the topic the ResponseSelector (or a topic button) chose."""

    def name(self) -> str:
        return "action_answer_learn"

    def topic_of(self, tracker: Tracker) -> str | None:
        return selected_topic(tracker)

    def follow_up(self, dispatcher, tracker, key):
        if key in ANSWER_GATED_TOPICS and needs_pem_question(tracker):
            ask_pem(dispatcher)
            return [SlotSet("topic", key), SlotSet("pem_pending", "answer")]
        utter_answer(dispatcher, key, tracker.get_slot("pem"))
        return [SlotSet("topic", key), SlotSet("pem_pending", None)]


class ActionLearnMore(TopicFollowUp):
    def name(self) -> str:
        return "action_learn_more"

    def follow_up(self, dispatcher, tracker, key):
        topic = load_topics().topics[key]
        dispatcher.utter_message(text=topic.more, buttons=[ACTION, SOURCE, *related_buttons(key)])
        return []


class ActionLearnAction(TopicFollowUp):
    def name(self) -> str:
        return "action_learn_action"

    def follow_up(self, dispatcher, tracker, key):
        if load_topics().topics[key].activity_advice and needs_pem_question(tracker):
            ask_pem(dispatcher)
            return [SlotSet("pem_pending", "action")]
        utter_for_you(dispatcher, key, tracker.get_slot("pem"))
        return [SlotSet("pem_pending", None)]


class ActionLearnSource(TopicFollowUp):
    def name(self) -> str:
        return "action_learn_source"

    def follow_up(self, dispatcher, tracker, key):
        topic = load_topics().topics[key]
        lines = [f"Where this comes from ({topic.title}):"]
        lines += [f"• {source.title}: {source.url}" for source in topic.sources]
        lines.append(f"Last reviewed: {topic.last_reviewed.isoformat()}.")
        lines.append(
            "This is general information, not medical advice. "
            "Your own doctor can tell you how it applies to you."
        )
        dispatcher.utter_message(
            text="\n".join(lines), buttons=[MORE, ACTION, *related_buttons(key)]
        )
        return []


class ActionPemScreen(Action):
    """Remembers the answer to the PEM question, then gives the answer that was waiting."""

    def name(self) -> str:
        return "action_pem_screen"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        pem = (tracker.latest_message.get("intent") or {}).get("name") == "affirm"
        pending = tracker.get_slot("pem_pending")
        key = current_topic(tracker)
        events: list[EventType] = [SlotSet("pem", pem), SlotSet("pem_pending", None)]
        if pem:
            dispatcher.utter_message(text="Thanks for telling me. That's really useful to know.")
        else:
            dispatcher.utter_message(text="Thanks, that helps me tailor the advice.")
        if key is None:
            dispatcher.utter_message(text=activity_advice(pem), buttons=[TECHNIQUE])
        elif pending == "action":
            utter_for_you(dispatcher, key, pem)
        else:
            utter_answer(dispatcher, key, pem)
        return events


class ActionDefineTerm(Action):
    def name(self) -> str:
        return "action_define_term"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        glossary = load_glossary()
        key = None
        for value in tracker.get_latest_entity_values("term"):
            key = find_term(str(value), glossary)
            if key:
                break
        key = key or find_term(tracker.latest_message.get("text"), glossary)
        if key is None:
            known = ", ".join(entry.term for entry in glossary.terms.values())
            dispatcher.utter_message(
                text=f"I don't have that word in my glossary yet. Words I can explain: {known}."
            )
            return []
        entry = glossary.terms[key]
        topic = load_topics().topics[entry.topic]
        dispatcher.utter_message(
            text=f"{entry.term}: {entry.definition}",
            buttons=[
                {"title": f"Learn: {topic.title}", "payload": topic_button(entry.topic)["payload"]}
            ],
        )
        return [SlotSet("topic", entry.topic)]

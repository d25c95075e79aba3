"""Every message of the safety corpus (data/safety/corpus/) through the real stack, as a
first message, in the middle of a check-in and in the middle of a technique, with the
route checked (the crisis flow, a concern's direct question, overdose advice, a red flag
of the right urgency...), not just any alarm.

The figures are printed for the closing note (run pytest with -s).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.nlu.safety_corpus import Example, load_corpus
from tests.support.safety_routes import ALARMS, right_route, route
from tests.support.stack import ChatClient

pytestmark = pytest.mark.e2e

CORPUS = load_corpus()
RISKS = [e for e in CORPUS if e.kind != "none"]
NEAR_MISSES = [e for e in CORPUS if e.kind == "none"]
MAX_NEAR_MISS_CONCERN_RATE = 0.03
# Requests in flight at once: the three processes overlap their work.
WORKERS = 4


def first_message(stack, text: str) -> list[dict]:
    return ChatClient(stack.api_url).say(text)


def mid_checkin(stack, text: str) -> list[dict]:
    chat = ChatClient(stack.api_url)
    chat.say("I'd like to do a check-in")
    chat.click('/inform{"score": 6}')
    return chat.say(text)


def mid_technique(stack, text: str) -> list[dict]:
    chat = ChatClient(stack.api_url)
    chat.say("suggest a technique")
    chat.click_first("/choose_technique")
    assert "Step 1" in chat.text(), chat.last
    return chat.say(text)


CONTEXTS: dict[str, Callable] = {
    "first message": first_message,
    "mid check-in": mid_checkin,
    "mid technique": mid_technique,
}


def wrong_routes(stack, examples: list[Example], context: str) -> list[tuple]:
    send = CONTEXTS[context]

    def check(example: Example):
        got, category = route(send(stack, example.text))
        if right_route(example.kind, example.category, got, category):
            return None
        return (example.text, example.label, got, category)

    with ThreadPoolExecutor(WORKERS) as pool:
        return [w for w in pool.map(check, examples) if w]


def report(label: str, wrong: int, total: int) -> None:
    print(f"\n[safety] {label}: {total - wrong}/{total} routed right ({1 - wrong / total:.1%})")


@pytest.mark.parametrize("context", list(CONTEXTS))
def test_every_risk_message_gets_its_route(stack, context: str) -> None:
    wrong = wrong_routes(stack, RISKS, context)
    report(f"risk messages, {context}", len(wrong), len(RISKS))
    assert wrong == []


@pytest.mark.parametrize("context", list(CONTEXTS))
def test_near_misses_never_alarm(stack, context: str) -> None:
    send = CONTEXTS[context]
    with ThreadPoolExecutor(WORKERS) as pool:
        routes = list(pool.map(lambda e: (e.text, route(send(stack, e.text))[0]), NEAR_MISSES))
    alarms = [(text, got) for text, got in routes if got in ALARMS]
    concerns = [text for text, got in routes if got == "concern"]
    report(f"near misses without an alarm, {context}", len(alarms), len(routes))
    report(f"near misses without a concern, {context}", len(concerns), len(routes))
    assert alarms == []
    assert len(concerns) <= MAX_NEAR_MISS_CONCERN_RATE * len(routes), concerns


def test_interrupted_checkin_is_kept_for_later(stack) -> None:
    chat = ChatClient(stack.api_url)
    chat.say("I'd like to do a check-in")
    chat.click('/inform{"score": 6}')
    assert route(chat.say("i want to end my life"))[0] == "crisis"
    chat.click("/affirm")  # "I'm safe right now"
    chat.say("I'd like to do a check-in")
    assert "where we left off" in chat.text()
    assert "fatigue" in chat.text().lower()

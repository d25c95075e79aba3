"""The safety conversations the issue reports as broken, through the real stack: each
message a new user could type, the route it gets, and what follows a typed answer."""

from __future__ import annotations

import pytest

from tests.support.safety_routes import route
from tests.support.stack import ChatClient

pytestmark = pytest.mark.e2e


# Indirect wording gets at least the direct question with the contacts (CONTENT.md 8).
INDIRECT = ("concern", "crisis")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("im so tierd", ("none",)),
        ("there's no point carrying on", INDIRECT),
        ("I won't be a burden much longer", INDIRECT),
        ("I'm done, I can't do another year of this", INDIRECT),
        ("I've got the rope ready", ("crisis",)),
        ("I've taken 16 paracetamol today", ("overdose",)),
        ("my brother swallowed a strip of his pills and now he's really drowsy", ("overdose",)),
        ("I'm scared I'm going to hurt my baby", ("harm_others",)),
        ("my friend is suicidal, what should I do", ("third_party",)),
        ("my legs are dead after that walk", ("none",)),
        ("My sleep is broken. When I tried walking every day I crashed for a week.", ("none",)),
        ("my heart hurts thinking about my dad", ("none",)),
        ("I want to end this flare", ("none",)),
    ],
)
def test_a_first_message_gets_the_route_it_needs(stack, text: str, expected: tuple) -> None:
    assert route(ChatClient(stack.api_url).say(text))[0] in expected


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("my right hand has gone weak since this morning", "stroke"),
        ("my back is killing me and I'm straining to pass urine", "cauda_equina"),
        ("my left calf is hot, red and swollen", "dvt"),
        ("I'm 72, I've got a new headache and my jaw hurts when I chew", "giant_cell_arteritis"),
        ("I've got a fever and my back pain is getting worse", "infection"),
        ("weakness down my left side", "stroke"),
        (
            "my dad is 80 and hasn't been able to pee all day, his tummy is swollen",
            "urinary_retention",
        ),
        ("my eye is throbbing and red and I can see rainbow rings round lights", "vision"),
    ],
)
def test_a_red_flag_gets_its_category(stack, text: str, category: str) -> None:
    assert route(ChatClient(stack.api_url).say(text)) == ("red_flag", category)


def test_after_an_overdose_feeling_safe_still_gets_the_advice_to_get_checked(stack) -> None:
    chat = ChatClient(stack.api_url)
    chat.say("I've taken 16 paracetamol today")
    assert "999" in chat.text() and "111" in chat.text()
    chat.say("I'm fine, I feel ok")
    assert "feeling fine doesn't mean it's safe" in chat.text(), chat.last
    assert "111" in chat.text()


def test_a_yes_to_the_concern_question_gets_the_full_crisis_reply(stack) -> None:
    chat = ChatClient(stack.api_url)
    chat.say("I won't be a burden much longer")
    assert "thoughts of ending your life" in chat.text()
    assert any((m.get("custom") or {}).get("type") == "helplines" for m in chat.last)
    chat.click("/affirm")
    assert route(chat.last)[0] == "crisis"


def test_you_misread_that_after_a_red_flag_says_what_to_do_if_it_does_happen(stack) -> None:
    chat = ChatClient(stack.api_url)
    chat.say("my right hand has gone weak since this morning")
    chat.say("no you misread that, I meant it's weak from gardening")
    assert "Sorry, I misread that" in chat.text(), chat.last
    assert "if you ever have" in chat.text() and "999" in chat.text()


def test_a_red_flag_is_noted_only_after_the_user_agrees(stack) -> None:
    chat = ChatClient(stack.api_url)
    chat.say("my left calf is hot, red and swollen")
    chat.click("/affirm")
    assert "note in your records" in chat.text()
    chat.click("/deny")
    export = chat.get("/api/v1/me/export?format=json").json()
    assert export["safety_events"] == []


def test_a_uk_time_zone_wins_over_a_us_browser_and_the_reply_names_the_country(stack) -> None:
    chat = ChatClient(stack.api_url, {"locale": "en-US", "timezone": "Europe/London"})
    chat.say("I want to end my life")
    card = next(m["custom"] for m in chat.last if (m.get("custom") or {}).get("type"))
    assert card["country"] == "GB"
    assert "United Kingdom" in chat.text() and "116 123" in chat.text()
    assert "988" not in chat.text()


def test_typed_answers_walk_the_safety_plan(stack) -> None:
    chat = ChatClient(stack.api_url)
    chat.say("I want to end my life")
    chat.click("/affirm")  # safe right now
    chat.click("/safety_plan")
    chat.click("/affirm")  # start now: who could you call?
    chat.say("probably my nan")
    assert "what is one thing that calms you" in chat.text(), chat.last
    chat.say("my cat and the radio")
    assert "safer right now" in chat.text(), chat.last
    chat.say("no")
    assert "That's a plan" in chat.text(), chat.last
    assert "probably my nan" in chat.text() and "my cat and the radio" in chat.text()
    chat.say("I'd like to do a check-in")
    assert "pain" in chat.text().lower(), "the plan is over and the bot carries on as usual"

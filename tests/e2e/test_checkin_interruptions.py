"""Interruptions in the middle of a check-in, with the real NLU, rules and actions: the
bot answers, asks the open question again with its buttons, and the check-in still saves
exactly what was tapped. (tests/test_checkin_stories.yml checks the same turns without
NLU or actions; these check what the user sees.)"""

from __future__ import annotations

import pytest

from bot.knowledge import load_topics

pytestmark = pytest.mark.e2e

TOPICS = load_topics().topics
QUESTIONS = {
    "pain": "How bad has your pain been today?",
    "fatigue": "And your fatigue?",
    "sleep_quality": "How well did you sleep last night?",
    "stress": "How stressed have you felt today?",
}
SCALE_PAYLOADS = [f'/inform{{"score": {n}}}' for n in range(11)]
# Every re-ask for an answer that isn't a score says this (actions/scales.py REASKS).
NOT_A_SCORE = "0 to 10"


def tap_score(chat, score: int) -> None:
    chat.click(f'/inform{{"score": {score}}}')


def asks(chat, scale: str) -> bool:
    """The bot's turn ends with this scale's question and its 0–10 buttons."""
    last = chat.last[-1]
    payloads = [b["payload"] for b in last.get("buttons") or []]
    return QUESTIONS[scale] in last.get("text", "") and payloads == SCALE_PAYLOADS


def assert_answered_then_asked_again(chat, scale: str, answer: str) -> None:
    earlier = "\n".join(m.get("text", "") for m in chat.last[:-1])
    assert answer in earlier, chat.last
    assert asks(chat, scale), f"the {scale} question did not come back: {chat.last!r}"
    assert NOT_A_SCORE not in chat.text(), f"taken for a {scale} answer: {chat.last!r}"
    assert chat.get("/api/v1/me/checkins").json() == [], "saved in the middle of the check-in"


def finish_by_buttons(chat, scores) -> list[tuple[int, int, int, int]]:
    for score in scores:
        tap_score(chat, score)
    assert "Saved" in chat.text(), chat.last
    chat.click_title("Nothing to add")
    rows = chat.get("/api/v1/me/checkins").json()
    return [(r["pain"], r["fatigue"], r["sleep_quality"], r["stress"]) for r in rows]


def test_a_question_typed_at_the_fatigue_question_is_answered_then_asked_again(chat):
    chat.say("I'd like to do a check-in")
    tap_score(chat, 6)
    assert asks(chat, "fatigue"), chat.last

    chat.say("why does pain make me so tired?")
    assert_answered_then_asked_again(chat, "fatigue", TOPICS["pain_fatigue_link"].short)

    assert finish_by_buttons(chat, (7, 3, 5)) == [(6, 7, 3, 5)]


def test_the_buttons_of_a_topic_answer_work_mid_checkin_and_the_question_comes_back(chat):
    link = TOPICS["pain_fatigue_link"]
    related = TOPICS[link.related[0]]
    chat.say("I'd like to do a check-in")
    tap_score(chat, 4)
    tap_score(chat, 8)
    assert asks(chat, "sleep_quality"), chat.last
    chat.say("why does pain make me so tired?")
    assert_answered_then_asked_again(chat, "sleep_quality", link.short)

    for title, answer in (
        ("Tell me more", link.more),
        ("Where is this from?", link.sources[0].url),
        ("What can I do?", link.for_you),
        (related.title, related.short),  # a related-topic button
        ("What can I do?", related.for_you),  # about the topic now on screen
    ):
        chat.click_title(title)
        assert_answered_then_asked_again(chat, "sleep_quality", answer)

    chat.click_title("Suggest a technique")  # offered with "What can I do?"
    offered = [b["payload"] for m in chat.last[:-1] for b in m.get("buttons") or []]
    assert offered and all(p.startswith("/choose_technique") for p in offered), chat.last
    assert_answered_then_asked_again(chat, "sleep_quality", "Pick one")

    assert finish_by_buttons(chat, (2, 6)) == [(4, 8, 2, 6)]


def test_help_mid_checkin_is_answered_and_its_check_in_button_loses_nothing(chat):
    chat.say("I'd like to do a check-in")
    for score in (3, 4, 5):
        tap_score(chat, score)
    assert asks(chat, "stress"), chat.last

    chat.say("help")
    assert_answered_then_asked_again(chat, "stress", "Here's what I can do")
    # The help menu offers "Do a check-in": tapping it mid check-in keeps the answers.
    chat.click_title("Do a check-in")
    assert_answered_then_asked_again(chat, "stress", "I kept pain 3, fatigue 4, sleep 5")

    assert finish_by_buttons(chat, (1,)) == [(3, 4, 5, 1)]


def test_a_score_typed_before_the_checkin_is_kept_and_not_asked_again(chat):
    chat.say("my pain is 9 today")
    assert "pain 9" in chat.text(), chat.last
    if not asks(chat, "fatigue"):  # read as a score: the check-in is offered first
        chat.click_title("Start a check-in")
    assert "pain 9" in chat.text() and asks(chat, "fatigue"), chat.last
    assert finish_by_buttons(chat, [6, 3, 5]) == [(9, 6, 3, 5)]

"""Faults with real processes: a dependency goes down, nothing the user said is lost.

These tests stop and restart processes of the shared stack, and leave it running.
"""

from __future__ import annotations

import time

import pytest

from tests.support.leftovers import NOTHING_LEFT, left_about

pytestmark = pytest.mark.e2e


def wait_for(condition, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False


def answer_scales(chat, scores) -> None:
    for score in scores:
        chat.click(f'/inform{{"score": {score}}}')


def test_api_down_during_a_checkin_delivers_it_later(stack, chat):
    chat.say("I'd like to do a check-in")
    answer_scales(chat, (5, 6, 4))
    stack.processes["api_internal"].stop()
    try:
        answer_scales(chat, (3,))
        assert "can't reach your records" in chat.text()
        chat.click("/deny")
        assert chat.get("/api/v1/me/checkins").json() == []
    finally:
        stack.processes["api_internal"].start()
    assert wait_for(lambda: len(chat.get("/api/v1/me/checkins").json()) == 1)
    row = chat.get("/api/v1/me/checkins").json()[0]
    assert (row["pain"], row["fatigue"], row["sleep_quality"], row["stress"]) == (5, 6, 4, 3)
    # Delivered once: the outbox does not resend it.
    time.sleep(2)
    assert len(chat.get("/api/v1/me/checkins").json()) == 1


def test_action_server_down_is_said_and_the_conversation_goes_on(stack, chat):
    chat.say("hello")
    stack.processes["actions"].stop()
    try:
        messages = chat.say("I want to do a check-in")
        assert messages, "the user must get an answer, not silence"
        assert "can't" in chat.text().lower() or "right now" in chat.text().lower()
        # Questions about pain and fatigue are answered inside Rasa (bot/in_process_actions.py):
        # they still work while the action server is down.
        chat.say("why does pain make me so tired?")
        assert "Tell me more" in [b["title"] for m in chat.last for b in m.get("buttons", [])]
        assert "can't" not in chat.text().lower()
    finally:
        stack.restart("actions")
    chat.say("I want to do a check-in")
    assert any(b["payload"] == '/inform{"score": 0}' for m in chat.last
               for b in m.get("buttons", [])), chat.last


def test_rasa_restart_mid_checkin_resumes_where_it_was(stack, chat):
    chat.say("let's do my check-in")
    answer_scales(chat, (7, 8))
    stack.restart("rasa")
    answer_scales(chat, (2, 6))
    assert "Saved" in chat.text()
    chat.click("/deny")
    row = chat.get("/api/v1/me/checkins").json()[0]
    assert (row["pain"], row["fatigue"], row["sleep_quality"], row["stress"]) == (7, 8, 2, 6)


def test_a_checkin_waiting_in_the_outbox_is_dropped_when_its_user_erases(stack, chat):
    chat.say("I'd like to do a check-in")
    stack.processes["api_internal"].stop()
    try:
        answer_scales(chat, (5, 6, 4, 3))
        assert "can't reach your records" in chat.text()
        chat.click("/deny")
        assert left_about(stack, chat.user_id)["outbox"], "the check-in should be waiting"
        chat.say("delete my data")
        chat.click_title("Yes, erase everything")
        assert "everything about you has been erased" in chat.text(), chat.last
    finally:
        stack.processes["api_internal"].start()
    # Back up, the API refuses the check-in of a user who no longer exists: the outbox
    # drops it instead of bringing the user back.
    assert wait_for(lambda: left_about(stack, chat.user_id)["outbox"] == {})
    assert left_about(stack, chat.user_id) == NOTHING_LEFT

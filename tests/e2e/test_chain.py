"""The whole chain, with real processes: gateway → Rasa → action server → API → database."""

from __future__ import annotations

import json

import pytest
import requests

from tests.support.leftovers import NOTHING_LEFT, left_about
from tests.support.stack import ChatClient

pytestmark = pytest.mark.e2e

SCALE_PROMPTS = ("pain", "fatigue", "sleep", "stressed")


def complete_checkin_by_buttons(chat, scores=(6, 7, 3, 5)) -> int:
    """Returns how many bot turns it took until the check-in was saved."""
    chat.say("I'd like to do a check-in")
    bot_turns = 1
    for score in scores:
        assert any(
            b["payload"] == f'/inform{{"score": {score}}}'
            for m in chat.last
            for b in m.get("buttons", [])
        ), chat.last
        chat.click(f'/inform{{"score": {score}}}')
        bot_turns += 1
    assert "Saved" in chat.text(), chat.last
    chat.click_title("Nothing to add")
    return bot_turns


def test_no_token_or_a_bad_token_is_refused(stack):
    url = f"{stack.api_url}/api/v1/chat"
    assert requests.post(url, json={"message": "hi"}, timeout=10).status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert requests.post(url, json={"message": "hi"}, headers=bad, timeout=10).status_code == 401


def test_checkin_by_buttons_is_saved_in_five_bot_turns(chat):
    chat.say("I'd like to do a check-in")
    for turn, score in enumerate((6, 7, 3, 5), start=2):
        assert chat.get("/api/v1/me/checkins").json() == [], f"saved early, at turn {turn - 1}"
        chat.click(f'/inform{{"score": {score}}}')
    # Bot turn 5 saves the scores and asks for the optional note in the same message.
    assert "Saved" in chat.text() and "Anything to add" in chat.text(), chat.last
    assert len(chat.get("/api/v1/me/checkins").json()) == 1
    chat.click_title("Nothing to add")
    assert "All done" in chat.text()


def test_checkin_by_buttons_is_stored_and_readable(chat):
    assert complete_checkin_by_buttons(chat) == 5
    rows = chat.get("/api/v1/me/checkins").json()
    assert len(rows) == 1
    assert (rows[0]["pain"], rows[0]["fatigue"], rows[0]["sleep_quality"], rows[0]["stress"]) == (
        6,
        7,
        3,
        5,
    )


def test_checkin_by_typing_accepts_words_and_reasks_out_of_range(chat):
    chat.say("can I log how I'm doing today")
    chat.say("about a 6")
    assert "fatigue" in chat.text().lower()
    chat.say("12")
    assert "0 to 10" in chat.text()
    chat.say("seven")
    chat.say("3/10")
    chat.say("my stress is around 4 today")
    chat.say("my lower back is worse after shopping")
    rows = chat.get("/api/v1/me/checkins").json()
    assert [(r["pain"], r["fatigue"], r["sleep_quality"], r["stress"]) for r in rows] == [
        (6, 7, 3, 4)
    ]
    assert rows[0]["note"] == "my lower back is worse after shopping"
    assert "lower back" in rows[0]["locations"]


def test_typed_commands_are_plain_text(stack, chat):
    chat.say("/greet")
    user_events = [e for e in stack.tracker_events(chat.user_id) if e["event"] == "user"]
    assert user_events[-1]["text"].startswith("\u2060/greet")
    # Rasa's shortcut would have given the intent with confidence exactly 1.0.
    assert user_events[-1]["parse_data"]["intent"]["confidence"] < 1.0 or (
        user_events[-1]["parse_data"]["intent"]["name"] != "greet"
    )

    # A typed /restart in the middle of a check-in does not wipe it.
    chat.say("start a check-in")
    chat.click('/inform{"score": 4}')
    chat.say("/restart")
    assert "0 to 10" in chat.text()
    for score in (5, 6, 7):
        chat.click(f'/inform{{"score": {score}}}')
    chat.click("/deny")
    rows = chat.get("/api/v1/me/checkins").json()
    assert rows and rows[0]["pain"] == 4


def test_sender_comes_from_the_token_not_the_body(stack, chat):
    response = chat.http.post(
        f"{stack.api_url}/api/v1/chat",
        json={"message": "hello", "sender": "someone-else"},
        timeout=30,
    )
    assert response.status_code in (200, 422)
    assert not [e for e in stack.tracker_events("someone-else") if e["event"] == "user"]


def test_a_payload_the_bot_did_not_offer_is_refused(chat):
    chat.say("hello")
    response = chat.http.post(
        f"{chat.api_url}/api/v1/chat", json={"payload": '/inform{"score": 99}'}, timeout=30
    )
    assert response.status_code == 422


def test_transcript_rebuilds_the_conversation(chat):
    chat.say("hello")
    chat.click_title("Do a check-in")
    turns = chat.get("/api/v1/me/conversation").json()["turns"]
    roles = [t["role"] for t in turns]
    assert roles[0] == "user" and "bot" in roles
    assert turns[0]["text"] == "hello"
    assert any(t["role"] == "user" and t["text"] == "Do a check-in" for t in turns)
    assert any(t.get("buttons") for t in turns if t["role"] == "bot")


def test_erase_removes_everything_including_the_tracker(stack, chat):
    complete_checkin_by_buttons(chat)
    assert left_about(stack, chat.user_id)["tracker"], "no events to erase: proves nothing"
    assert chat.http.delete(f"{stack.api_url}/api/v1/me", timeout=30).status_code == 204

    assert left_about(stack, chat.user_id) == NOTHING_LEFT
    assert chat.get("/api/v1/me/checkins").status_code == 401


def test_delete_my_data_in_chat_erases_everything_and_ends_the_session(stack, chat):
    complete_checkin_by_buttons(chat)
    chat.click_title("Yes, ask me")  # the weekly questions
    chat.click('/inform{"score": 7}')
    chat.click('/inform{"score": 5}')
    chat.click_title("Skip them")
    chat.say("suggest a technique")
    chat.click_first("/choose_technique")
    chat.click_title("Stop")
    chat.click_title("Yes, it helped")
    stored = left_about(stack, chat.user_id)
    assert {
        "users",
        "checkins",
        "weekly_checks",
        "technique_feedback",
        "conversation_turns",
    } <= set(stored["api"]), stored
    assert stored["tracker"].get("events"), stored

    chat.say("delete my data")
    assert "can't be undone" in chat.text(), chat.last
    assert len(chat.get("/api/v1/me/checkins").json()) == 1, "erased before the yes"
    chat.click_title("Yes, erase everything")
    assert "everything about you has been erased" in chat.text(), chat.last
    assert {"type": "erased"} in [m.get("custom") for m in chat.last], chat.last
    assert left_about(stack, chat.user_id) == NOTHING_LEFT

    # The old token is dead everywhere; a new session starts afresh and chats normally.
    old = chat.http.post(f"{stack.api_url}/api/v1/chat", json={"message": "hello"}, timeout=30)
    assert old.status_code == 401
    assert chat.get("/api/v1/me/checkins").status_code == 401
    assert chat.get("/api/v1/me/conversation").status_code == 401
    fresh = ChatClient(stack.api_url)
    fresh.say("I'd like to do a check-in")
    assert "pain" in fresh.text() and "left off" not in fresh.text(), fresh.last
    assert any(
        b["payload"] == '/inform{"score": 0}' for m in fresh.last for b in m.get("buttons") or []
    ), fresh.last
    assert left_about(stack, chat.user_id) == NOTHING_LEFT, "written back after the erase"


def test_same_as_yesterday_copies_the_last_checkin(chat):
    complete_checkin_by_buttons(chat, scores=(5, 6, 4, 3))
    chat.say("let's do a check-in")
    chat.say("same as yesterday")
    assert "copied your last check-in" in chat.text()
    assert len(chat.get("/api/v1/me/checkins").json()) == 1, "saved before the yes"
    chat.click_title("Yes, save them")
    assert "Saved" in chat.text()
    chat.click_title("Nothing to add")
    rows = chat.get("/api/v1/me/checkins").json()
    assert [(r["pain"], r["fatigue"], r["sleep_quality"], r["stress"]) for r in rows] == [
        (5, 6, 4, 3),
        (5, 6, 4, 3),
    ]


def test_same_as_yesterday_can_be_changed_one_by_one(chat):
    complete_checkin_by_buttons(chat, scores=(5, 6, 4, 3))
    chat.say("let's do a check-in")
    chat.say("same as yesterday")
    chat.click_title("No, change them")
    assert "one by one" in chat.text() and "pain" in chat.text().lower()
    complete_rest = (8, 7, 2, 6)
    for score in complete_rest:
        chat.click(f'/inform{{"score": {score}}}')
    chat.click_title("Nothing to add")
    rows = chat.get("/api/v1/me/checkins").json()
    assert [(r["pain"], r["fatigue"], r["sleep_quality"], r["stress"]) for r in rows] == [
        (8, 7, 2, 6),
        (5, 6, 4, 3),
    ]


def test_same_as_yesterday_part_way_keeps_todays_first_answers(chat):
    complete_checkin_by_buttons(chat, scores=(5, 6, 4, 3))
    chat.say("let's do a check-in")
    chat.say("8")
    chat.say("same as yesterday")
    assert "Today so far: pain 8." in chat.text(), chat.last
    assert "fatigue 6, sleep 4, stress 3" in chat.text(), chat.last
    chat.click_title("No, change them")
    assert "through the rest one by one" in chat.text() and "fatigue" in chat.text(), chat.last
    chat.click('/inform{"score": 7}')
    chat.say("pretty much the same")  # at the sleep question: copies sleep and stress
    assert "pain 8, fatigue 7" in chat.text(), chat.last
    chat.click_title("Yes, save them")
    chat.click_title("Nothing to add")
    rows = chat.get("/api/v1/me/checkins").json()
    assert [(r["pain"], r["fatigue"], r["sleep_quality"], r["stress"]) for r in rows] == [
        (8, 7, 4, 3),
        (5, 6, 4, 3),
    ]


def test_weekly_questions_are_offered_once_and_screen_mood_only_with_consent(chat):
    complete_checkin_by_buttons(chat, scores=(6, 7, 3, 5))
    assert "Once a week" in chat.text()
    chat.click_title("Yes, ask me")
    assert "enjoying life" in chat.text()
    chat.click('/inform{"score": 7}')
    chat.say("about a 5")
    assert "mood and worry" in chat.text()
    chat.click_title("Yes")
    assert "little interest or pleasure" in chat.text()
    chat.click_title("More than half the days")
    chat.say("several days")  # typed works too
    chat.click_title("Nearly every day")
    chat.click_title("Not at all")
    assert "talk to a professional" in chat.text()
    assert "Pfizer" in chat.text()
    assert "can't do that" not in chat.text(), chat.last
    [row] = chat.get("/api/v1/me/weekly-checks").json()
    assert (row["enjoyment"], row["activity"], row["phq2"], row["gad2"]) == (7, 5, 3, 3)
    assert row["peg"] == round((6 + 7 + 5) / 3, 1)

    # Answered this week: the next check-in does not offer them again.
    complete_checkin_by_buttons(chat, scores=(5, 5, 5, 5))
    assert "Once a week" not in chat.text()


def test_weekly_questions_can_be_declined(chat):
    complete_checkin_by_buttons(chat)
    chat.click_title("Not now")
    assert "another day" in chat.text() and "can't do that" not in chat.text(), chat.last
    assert chat.get("/api/v1/me/weekly-checks").json() == []
    complete_checkin_by_buttons(chat)
    assert "Once a week" not in chat.text(), "not asked again the same day"


def test_weekly_questions_without_the_mood_screens(chat):
    complete_checkin_by_buttons(chat, scores=(4, 5, 6, 2))
    chat.click_title("Yes, ask me")
    chat.click('/inform{"score": 3}')
    chat.click('/inform{"score": 2}')
    chat.click_title("Skip them")
    assert "PEG score is 3.0" in chat.text(), chat.last
    assert "professional" not in chat.text() and "can't do that" not in chat.text()
    [row] = chat.get("/api/v1/me/weekly-checks").json()
    assert (row["peg"], row["phq2"], row["gad2"]) == (3.0, None, None)


def test_a_crisis_during_the_weekly_questions_wins(chat):
    complete_checkin_by_buttons(chat)
    chat.click_title("Yes, ask me")
    chat.click('/inform{"score": 4}')
    chat.say("i want to end my life")
    assert "116 123" in chat.text()  # Samaritans, for the en-GB widget
    assert chat.get("/api/v1/me/weekly-checks").json() == []


def test_a_country_named_in_a_crisis_message_gives_that_countrys_lines_at_once(chat):
    chat.say("i'm in australia and i want to end my life")
    assert "13 11 14" in json.dumps(chat.last), chat.last  # Lifeline, not the en-GB default
    chat.say("why does pain make me so tired?")  # a later question keeps the country
    chat.say("i want to die")
    assert "13 11 14" in json.dumps(chat.last), chat.last


def test_a_named_country_sets_the_helplines_and_a_term_gets_its_definition(chat):
    """Countries and glossary terms are closed lists, read from the text by the actions."""
    chat.say("I'm in the US")
    assert "988" in json.dumps(chat.last), chat.last
    chat.say("what does cortisol mean?")
    assert "ortisol" in chat.text() and "hormone" in chat.text().lower(), chat.last


def test_start_over_at_the_note_question_saves_no_note_and_the_next_check_in_starts_afresh(
    stack, chat
):
    chat.say("I'd like to do a check-in")
    for score in (6, 7, 3, 5):
        chat.click(f'/inform{{"score": {score}}}')
    assert "Saved" in chat.text(), chat.last  # the note question, scores already kept

    response = chat.http.delete(f"{stack.api_url}/api/v1/me/conversation", timeout=30)
    assert response.status_code == 204
    [checkin] = chat.get("/api/v1/me/checkins").json()
    assert not checkin["note"], checkin  # "/restart" was once saved as the day's note

    chat.say("I'd like to do a check-in")
    assert "where we left off" not in chat.text(), chat.last
    assert any(
        b["payload"].startswith('/inform{"score"')
        for m in chat.last
        for b in m.get("buttons") or []
    ), chat.last

"""Conversation repair on the real stack: messages Cadence cannot act on still get a way on."""

from __future__ import annotations


def test_a_message_in_spanish_is_told_cadence_speaks_english_only(chat):
    chat.say("hola, estoy muy cansada y tengo mucho dolor en la espalda")
    assert "only understand English" in chat.text(), chat.last


def test_i_am_so_tired_is_believed_and_offered_a_next_step(chat):
    chat.say("I'm so tired")
    text = chat.text()
    assert "didn't quite get that" not in text and "Are you OK" not in text, chat.last
    payloads = [b["payload"] for m in chat.last for b in m.get("buttons") or []]
    assert "/start_checkin" in payloads and "/ask_technique" in payloads, chat.last


def test_an_emoji_alone_gets_a_friendly_nudge_not_an_error(chat):
    chat.say("🙂")
    text = chat.text()
    assert "can't do that right now" not in text and "didn't quite get that" not in text, chat.last
    payloads = [b["payload"] for m in chat.last for b in m.get("buttons") or []]
    assert "/start_checkin" in payloads, chat.last


def test_a_thumbs_up_when_nothing_was_asked_still_gets_a_way_on(chat):
    chat.say("👍")
    assert "can't do that right now" not in chat.text(), chat.last
    assert any(m.get("buttons") for m in chat.last), chat.last


def test_the_effort_question_left_unanswered_is_not_asked_again(chat):
    from bot.knowledge import load_topics

    topics = load_topics()
    question = topics.pem_screen.question
    cycle = topics.topics["vicious_cycle"]
    chat.say("why does pain make me so tired?")
    chat.click_title(cycle.title)
    chat.click_title("What can I do?")
    assert question in chat.text(), chat.last
    chat.say("why does pain make me so tired?")  # moves on without answering
    chat.click_title(cycle.title)
    chat.click_title("What can I do?")
    assert question not in chat.text(), chat.last
    assert cycle.for_you in chat.text(), chat.last

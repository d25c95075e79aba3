"""The stored transcript and "start over"."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from api.models import TechniqueFeedback, User
from tests.api.conftest import SERVICE, checkin_body, tracker_events

CHAT = "/api/v1/chat"
CONVERSATION = "/api/v1/me/conversation"


def test_transcript_rebuilds_oldest_first(client, alice, rasa):
    rasa.reply = lambda body: (
        [
            {"text": "Ready?", "buttons": [{"title": "Yes", "payload": "/affirm"}]},
            {"custom": {"kind": "menu"}},
        ]
        if body["message"] == "hi"
        else [{"text": "Great"}]
    )
    client.post(CHAT, json={"message": "hi"}, headers=alice.headers)
    client.post(CHAT, json={"payload": "/affirm"}, headers=alice.headers)
    turns = client.get(CONVERSATION, headers=alice.headers).json()["turns"]
    assert [{k: v for k, v in t.items() if k != "created_at"} for t in turns] == [
        {"role": "user", "text": "hi"},
        {"role": "bot", "text": "Ready?", "buttons": [{"title": "Yes", "payload": "/affirm"}]},
        {"role": "bot", "custom": {"kind": "menu"}},
        {"role": "user", "text": "Yes"},
        {"role": "bot", "text": "Great"},
    ]
    stamps = [t["created_at"] for t in turns]
    assert stamps == sorted(stamps)
    assert stamps[0].endswith(("Z", "+00:00"))


def test_transcripts_are_private(client, alice, bob):
    client.post(CHAT, json={"message": "alice's secret"}, headers=alice.headers)
    assert client.get(CONVERSATION, headers=bob.headers).json() == {"turns": []}


def test_start_over_clears_turns_and_restarts_rasa(client, alice, rasa):
    client.post(CHAT, json={"message": "hi"}, headers=alice.headers)
    rasa.reply = lambda body: [{"text": "Fresh start!"}]
    response = client.delete(CONVERSATION, headers=alice.headers)
    assert response.status_code == 204
    assert rasa.received[-1] == {"sender": alice.user_id, "message": "/restart", "metadata": {}}
    turns = client.get(CONVERSATION, headers=alice.headers).json()["turns"]
    assert [(t["role"], t["text"]) for t in turns] == [("bot", "Fresh start!")]


def test_start_over_works_while_rasa_is_down(client, alice, rasa):
    client.post(CHAT, json={"message": "hi"}, headers=alice.headers)
    rasa.down = True
    assert client.delete(CONVERSATION, headers=alice.headers).status_code == 204
    assert client.get(CONVERSATION, headers=alice.headers).json() == {"turns": []}


def test_start_over_needs_a_token(client):
    assert client.delete(CONVERSATION).status_code == 401


def test_start_over_leaves_none_of_the_earlier_events_in_the_tracker_store(
    client, alice, bob, rasa, api_env
):
    tracker = api_env["TRACKER_STORE_URL"]
    rasa.tracker_store_url = tracker
    for person in (alice, bob):
        client.post(CHAT, json={"message": "my knee hurts"}, headers=person.headers)
    client.post(CHAT, json={"message": "let's check in"}, headers=alice.headers).raise_for_status()
    earlier = tracker_events(tracker, alice.user_id)
    assert len(earlier) == 4
    bobs = tracker_events(tracker, bob.user_id)

    assert client.delete(CONVERSATION, headers=alice.headers).status_code == 204

    assert rasa.received[-1]["message"] == "/restart"  # a form Rasa was running ends
    left = tracker_events(tracker, alice.user_id)
    assert not {data for _, _, data in earlier} & {data for _, _, data in left}
    assert "knee" not in repr(left) and "check in" not in repr(left)
    assert tracker_events(tracker, bob.user_id) == bobs

    # The next message starts from a tracker without anything said before.
    client.post(CHAT, json={"message": "hello again"}, headers=alice.headers).raise_for_status()
    assert "knee" not in repr(rasa.loaded[-1]) and "check in" not in repr(rasa.loaded[-1])


def test_start_over_while_a_turn_is_in_flight_leaves_none_of_the_earlier_events(
    client, alice, rasa, api_env
):
    """Rasa saves a turn it is still answering whenever it finishes, appending every event
    it finds missing: a delete that does not wait for it lets the old session back in."""
    tracker = api_env["TRACKER_STORE_URL"]
    rasa.tracker_store_url = tracker
    client.post(CHAT, json={"message": "my knee hurts"}, headers=alice.headers).raise_for_status()
    release = threading.Event()
    arrived = rasa.hold_until(release)
    with ThreadPoolExecutor(max_workers=2) as pool:
        in_flight = pool.submit(client.post, CHAT, json={"message": "said meanwhile"},
                                headers=alice.headers)
        assert arrived.wait(10)
        rasa.hold = None
        starting_over = pool.submit(client.delete, CONVERSATION, headers=alice.headers)
        deadline = time.monotonic() + 10
        while rasa.received[-1]["message"] != "/restart" and time.monotonic() < deadline:
            time.sleep(0.01)
        release.set()
        assert in_flight.result(timeout=10).status_code == 200
        assert starting_over.result(timeout=10).status_code == 204

    left = tracker_events(tracker, alice.user_id)
    assert "knee" not in repr(left) and "said meanwhile" not in repr(left)
    turns = client.get(CONVERSATION, headers=alice.headers).json()["turns"]
    assert [t["text"] for t in turns] == ["echo: /restart"]


def test_start_over_keeps_check_ins_feedback_and_settings(client, internal, alice, rasa, api_env):
    rasa.tracker_store_url = api_env["TRACKER_STORE_URL"]
    where = {"locale": "en-GB", "timezone": "Europe/London"}
    client.post(CHAT, json={"message": "hi", "metadata": where}, headers=alice.headers)
    internal.post("/api/v1/internal/checkins", json=checkin_body(alice.user_id, note="knee"),
                  headers=SERVICE).raise_for_status()
    with client.app.state.sessionmaker() as db:
        db.add(TechniqueFeedback(user_id=alice.user_id, technique_id="body_scan", helped=True))
        db.commit()

    assert client.delete(CONVERSATION, headers=alice.headers).status_code == 204

    [checkin] = client.get("/api/v1/me/checkins", headers=alice.headers).json()
    assert checkin["note"] == "knee"
    with client.app.state.sessionmaker() as db:
        assert db.query(TechniqueFeedback).filter_by(user_id=alice.user_id).count() == 1
        user = db.get(User, alice.user_id)
        assert (user.locale, user.timezone) == ("en-GB", "Europe/London")


def test_start_over_clears_nothing_when_the_tracker_store_fails(make_client, tmp_path, rasa):
    corrupt = tmp_path / "corrupt-tracker.db"
    corrupt.write_bytes(b"this is not a sqlite database" * 100)
    client = make_client(tracker_store_url=f"sqlite:///{corrupt}")
    person = client.post("/api/v1/sessions").json()
    headers = {"Authorization": f"Bearer {person['token']}"}
    client.post(CHAT, json={"message": "hi"}, headers=headers).raise_for_status()

    response = client.delete(CONVERSATION, headers=headers)

    # Saying "cleared" while Rasa still holds the conversation would be untrue.
    assert response.status_code == 503
    turns = client.get(CONVERSATION, headers=headers).json()["turns"]
    assert [t["text"] for t in turns] == ["hi", "echo: hi"]

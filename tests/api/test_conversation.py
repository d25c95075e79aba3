"""The stored transcript and "start over"."""

from __future__ import annotations

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

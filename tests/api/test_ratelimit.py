"""429s with Retry-After: per token on /chat, per client IP on /sessions."""

from __future__ import annotations

import pytest

from tests.api.conftest import start_session


def _assert_429(response) -> None:
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert "wait" in response.json()["detail"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_sessions_are_limited_per_ip(make_client):
    client = make_client(rate_limit_sessions="3/minute")
    for _ in range(3):
        assert client.post("/api/v1/sessions").status_code == 201
    _assert_429(client.post("/api/v1/sessions"))


def test_chat_is_limited_per_token(make_client, rasa):
    client = make_client(rate_limit_chat="2/minute")
    alice, bob = start_session(client), start_session(client)
    for _ in range(2):
        assert (
            client.post("/api/v1/chat", json={"message": "hi"}, headers=alice.headers).status_code
            == 200
        )
    _assert_429(client.post("/api/v1/chat", json={"message": "hi"}, headers=alice.headers))
    assert len(rasa.received) == 2
    # Same IP, different person: not affected.
    assert (
        client.post("/api/v1/chat", json={"message": "hi"}, headers=bob.headers).status_code == 200
    )


def test_unauthenticated_chat_is_401_not_429(make_client):
    client = make_client(rate_limit_chat="1/minute")
    for _ in range(3):
        assert client.post("/api/v1/chat", json={"message": "hi"}).status_code == 401


def test_limits_come_from_the_environment(monkeypatch, make_client):
    monkeypatch.setenv("RATE_LIMIT_SESSIONS", "1/hour")
    client = make_client()
    assert client.post("/api/v1/sessions").status_code == 201
    response = client.post("/api/v1/sessions")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 60


def test_malformed_limit_stops_startup():
    from api.main import create_app
    from api.settings import Settings

    with pytest.raises(ValueError):
        create_app(Settings(rate_limit_chat="lots"))

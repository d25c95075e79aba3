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


@pytest.fixture
def redis_url():
    import shutil

    from tests.support.services import Redis

    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (.ci/run installs it)")
    server = Redis().start()
    yield server.rate_limit_url, server
    server.stop()


def test_api_instances_sharing_redis_share_the_chat_limit(make_client, redis_url):
    url, _ = redis_url
    # Two API processes behind one load balancer: the limit is per person, not per process.
    first = make_client(rate_limit_chat="2/minute", rate_limit_storage_url=url)
    second = make_client(rate_limit_chat="2/minute", rate_limit_storage_url=url)
    alice = start_session(first)
    chat = {"json": {"message": "hi"}, "headers": alice.headers}
    assert first.post("/api/v1/chat", **chat).status_code == 200
    assert second.post("/api/v1/chat", **chat).status_code == 200
    _assert_429(first.post("/api/v1/chat", **chat))
    _assert_429(second.post("/api/v1/chat", **chat))


def test_chat_goes_on_when_the_shared_limit_store_is_down(make_client, redis_url):
    url, server = redis_url
    client = make_client(rate_limit_chat="2/minute", rate_limit_storage_url=url)
    alice = start_session(client)
    server.stop()
    response = client.post("/api/v1/chat", json={"message": "hi"}, headers=alice.headers)
    assert response.status_code == 200
    assert response.json()["messages"]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_window_moves_with_time_rather_than_resetting_on_the_minute():
    from limits import parse

    from api.ratelimit import MovingWindows

    clock = FakeClock()
    windows = MovingWindows(clock)
    three_a_minute = parse("3/minute")
    for second in (0, 20, 40):
        clock.now = 1000.0 + second
        assert windows.retry_after(three_a_minute, "chat", "alice") is None
    clock.now = 1050.0
    # The hit at 0 s leaves the window at 60 s: 10 s from now.
    assert windows.retry_after(three_a_minute, "chat", "alice") == 10
    assert windows.retry_after(three_a_minute, "chat", "bob") is None  # per person
    clock.now = 1060.0
    assert windows.retry_after(three_a_minute, "chat", "alice") is None
    # Refused hits are not counted: the next opening is when the 20 s hit leaves.
    assert windows.retry_after(three_a_minute, "chat", "alice") == 20


def test_people_who_stopped_chatting_are_forgotten():
    from limits import parse

    from api.ratelimit import MovingWindows

    clock = FakeClock()
    windows = MovingWindows(clock)
    per_minute = parse("30/minute")
    for person in range(windows.SWEEP_EVERY):
        windows.retry_after(per_minute, "chat", f"person-{person}")
    clock.now += 61
    for _ in range(windows.SWEEP_EVERY):
        windows.retry_after(per_minute, "chat", "still-here")
    assert len(windows) == 1

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


# --- limits a pile of free tokens cannot walk around (#21, finding 5) -------------------


def _from(address: str, person=None) -> dict[str, str]:
    headers = {"X-Forwarded-For": address}
    return {**headers, **person.headers} if person is not None else headers


def _session_from(client, address: str):
    from tests.api.conftest import Person

    response = client.post("/api/v1/sessions", headers=_from(address))
    assert response.status_code == 201, response.text
    return Person(**response.json())


def test_many_tokens_from_one_address_share_one_chat_budget(make_client, rasa):
    client = make_client(
        behind_proxy=True, rate_limit_chat="100/minute", rate_limit_chat_per_address="5/minute"
    )
    hi = {"message": "hi"}
    tokens = [_session_from(client, "203.0.113.7") for _ in range(6)]
    for person in tokens[:5]:
        response = client.post("/api/v1/chat", json=hi, headers=_from("203.0.113.7", person))
        assert response.status_code == 200
    _assert_429(client.post("/api/v1/chat", json=hi, headers=_from("203.0.113.7", tokens[5])))
    assert len(rasa.received) == 5
    # The same token from another address has its own address budget.
    response = client.post("/api/v1/chat", json=hi, headers=_from("198.51.100.2", tokens[5]))
    assert response.status_code == 200


def test_ipv6_addresses_in_one_64_share_a_budget_and_other_64s_do_not(make_client):
    client = make_client(
        behind_proxy=True, rate_limit_sessions="2/minute", rate_limit_chat_per_address="2/minute"
    )
    one_network = ["2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fffe", "2001:db8:1:2::abcd"]
    first, second = (_session_from(client, address) for address in one_network[:2])
    _assert_429(client.post("/api/v1/sessions", headers=_from(one_network[2])))
    neighbour = _session_from(client, "2001:db8:1:3::1")  # the next /64 along

    hi = {"message": "hi"}
    assert (
        client.post("/api/v1/chat", json=hi, headers=_from(one_network[0], first)).status_code
        == 200
    )
    assert (
        client.post("/api/v1/chat", json=hi, headers=_from(one_network[1], second)).status_code
        == 200
    )
    _assert_429(client.post("/api/v1/chat", json=hi, headers=_from(one_network[2], first)))
    response = client.post("/api/v1/chat", json=hi, headers=_from("2001:db8:1:3::1", neighbour))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("testclient", "testclient"),
    ],
)
def test_an_address_is_limited_as_itself_or_its_ipv6_64(address, key):
    from api.client_address import address_key

    assert address_key(address) == key


def test_starting_over_is_limited_per_token(make_client, rasa):
    client = make_client(rate_limit_start_over="2/minute")
    alice, bob = start_session(client), start_session(client)
    for _ in range(2):
        assert client.delete("/api/v1/me/conversation", headers=alice.headers).status_code == 204
    _assert_429(client.delete("/api/v1/me/conversation", headers=alice.headers))
    assert len(rasa.received) == 2  # the refused one never reached Rasa
    assert client.delete("/api/v1/me/conversation", headers=bob.headers).status_code == 204


def test_starting_over_counts_against_the_address_chat_budget(make_client, rasa):
    client = make_client(rate_limit_chat_per_address="3/minute")
    people = [start_session(client) for _ in range(4)]
    for person in people[:3]:
        assert client.delete("/api/v1/me/conversation", headers=person.headers).status_code == 204
    _assert_429(client.delete("/api/v1/me/conversation", headers=people[3].headers))


def test_exports_are_limited_per_token_and_per_address(make_client):
    client = make_client(rate_limit_export="2/minute", rate_limit_export_per_address="3/minute")
    alice, bob = start_session(client), start_session(client)
    for _ in range(2):
        response = client.get("/api/v1/me/export?format=pdf", headers=alice.headers)
        assert response.status_code == 200
    _assert_429(client.get("/api/v1/me/export?format=csv", headers=alice.headers))
    assert client.get("/api/v1/me/export", headers=bob.headers).status_code == 200
    # Three exports from this address in the last minute: a fresh token does not help.
    _assert_429(client.get("/api/v1/me/export", headers=bob.headers))


def test_insights_are_limited_per_token_and_per_address(make_client):
    client = make_client(rate_limit_insights="2/minute", rate_limit_insights_per_address="3/minute")
    alice, bob = start_session(client), start_session(client)
    for _ in range(2):
        assert client.get("/api/v1/me/insights", headers=alice.headers).status_code == 200
    _assert_429(client.get("/api/v1/me/insights", headers=alice.headers))
    assert client.get("/api/v1/me/insights", headers=bob.headers).status_code == 200
    _assert_429(client.get("/api/v1/me/insights", headers=bob.headers))


def test_readiness_checks_its_dependencies_at_most_once_per_period(make_client, monkeypatch):
    client = make_client(readiness_cache_seconds=60)
    gateway = client.app.state.rasa
    checks = []
    ready = gateway.ready

    async def counted() -> bool:
        checks.append(1)
        return await ready()

    monkeypatch.setattr(gateway, "ready", counted)
    for _ in range(20):
        assert client.get("/readyz").status_code == 200
    assert len(checks) == 1

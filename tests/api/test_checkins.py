"""Check-ins, safety events and the internal (service-key) routes."""

from __future__ import annotations

import pytest

from tests.api.conftest import SERVICE, SERVICE_KEY, checkin_body

INTERNAL = "/api/v1/internal"


def test_checkin_created_then_replayed_idempotently(client, internal, alice):
    body = checkin_body(alice.user_id, "abc", note="rough night", locations=["back", "neck"])
    first = internal.post(f"{INTERNAL}/checkins", json=body, headers=SERVICE)
    assert first.status_code == 201
    row = first.json()
    assert {
        k: row[k] for k in ("pain", "fatigue", "sleep_quality", "stress", "note", "locations")
    } == {
        "pain": 5,
        "fatigue": 6,
        "sleep_quality": 4,
        "stress": 3,
        "note": "rough night",
        "locations": ["back", "neck"],
    }
    assert set(row) == {
        "id",
        "created_at",
        "local_date",
        "pain",
        "fatigue",
        "sleep_quality",
        "stress",
        "note",
        "locations",
    }
    replay = internal.post(f"{INTERNAL}/checkins", json={**body, "pain": 9}, headers=SERVICE)
    assert replay.status_code == 200
    assert replay.json() == row
    mine = client.get("/api/v1/me/checkins", headers=alice.headers).json()
    assert mine == [row]


def test_same_key_for_different_users_is_two_checkins(internal, alice, bob):
    for person in (alice, bob):
        response = internal.post(
            f"{INTERNAL}/checkins", json=checkin_body(person.user_id, "same"), headers=SERVICE
        )
        assert response.status_code == 201


def test_float_scores_from_rasa_slots_become_integers(internal, alice):
    body = checkin_body(alice.user_id, pain=7.0, fatigue=6.5, sleep_quality="3")
    row = internal.post(f"{INTERNAL}/checkins", json=body, headers=SERVICE).json()
    assert (row["pain"], row["fatigue"], row["sleep_quality"]) == (7, 7, 3)


@pytest.mark.parametrize(
    "change",
    [
        {"pain": 11},
        {"fatigue": -1},
        {"stress": 99},
        {"sleep_quality": None},
        {"pain": "high"},
        {"pain": float("nan")},
        {"idempotency_key": ""},
        {"locations": "back"},
        {"note": "x" * 2001},
    ],
)
def test_invalid_checkins_are_422(client, internal, alice, change):
    body = checkin_body(alice.user_id, **change)
    response = internal.post(
        f"{INTERNAL}/checkins",
        content=_json(body),
        headers={**SERVICE, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert client.get("/api/v1/me/checkins", headers=alice.headers).json() == []


def _json(body):
    import json

    return json.dumps(body, allow_nan=True)


def test_unknown_user_is_404(internal):
    response = internal.post(f"{INTERNAL}/checkins", json=checkin_body("nobody"), headers=SERVICE)
    assert response.status_code == 404
    assert internal.get(f"{INTERNAL}/users/nobody/checkins", headers=SERVICE).status_code == 404
    response = internal.post(
        f"{INTERNAL}/safety-events", json={"user_id": "nobody", "kind": "crisis"}, headers=SERVICE
    )
    assert response.status_code == 404


def test_internal_list_is_newest_first_and_limited(client, internal, alice):
    for n in range(5):
        internal.post(
            f"{INTERNAL}/checkins",
            json=checkin_body(alice.user_id, f"k{n}", pain=n),
            headers=SERVICE,
        )
    rows = internal.get(
        f"{INTERNAL}/users/{alice.user_id}/checkins?limit=3", headers=SERVICE
    ).json()
    assert [r["pain"] for r in rows] == [4, 3, 2]
    mine = client.get("/api/v1/me/checkins", headers=alice.headers).json()
    assert [r["pain"] for r in mine] == [4, 3, 2, 1, 0]


def test_users_only_see_their_own_checkins(client, internal, alice, bob):
    internal.post(f"{INTERNAL}/checkins", json=checkin_body(alice.user_id), headers=SERVICE)
    assert client.get("/api/v1/me/checkins", headers=bob.headers).json() == []
    assert len(client.get("/api/v1/me/checkins", headers=alice.headers).json()) == 1


def test_safety_event_stores_kind_and_time_only(client, internal, alice):
    from sqlalchemy import text

    body = {
        "user_id": alice.user_id,
        "kind": "red_flag:cauda_equina",
        "text": "I can't feel my legs",
    }
    response = internal.post(f"{INTERNAL}/safety-events", json=body, headers=SERVICE)
    assert response.status_code == 201
    assert set(response.json()) == {"id", "kind", "created_at"}
    with client.app.state.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM safety_events")).mappings().all()
    assert len(rows) == 1
    assert "legs" not in repr(dict(rows[0]))


@pytest.mark.parametrize("kind", ["crisis", "overdose", "red_flag:giant_cell_arteritis"])
def test_every_safety_event_kind_the_bot_records_is_accepted(internal, alice, kind):
    response = internal.post(
        f"{INTERNAL}/safety-events", json={"user_id": alice.user_id, "kind": kind}, headers=SERVICE
    )
    assert response.status_code == 201


@pytest.mark.parametrize("kind", ["", "other", "red_flag:", "red_flag:Bad Category", "crisis2"])
def test_safety_event_kind_is_validated(internal, alice, kind):
    response = internal.post(
        f"{INTERNAL}/safety-events", json={"user_id": alice.user_id, "kind": kind}, headers=SERVICE
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Service-Key": ""}, {"X-Service-Key": "wrong"}, {"X-Service-Key": f"{SERVICE_KEY} "}],
)
def test_internal_routes_need_the_service_key(internal, alice, headers):
    calls = [
        ("POST", f"{INTERNAL}/checkins", checkin_body(alice.user_id)),
        ("GET", f"{INTERNAL}/users/{alice.user_id}/checkins", None),
        ("POST", f"{INTERNAL}/safety-events", {"user_id": alice.user_id, "kind": "crisis"}),
    ]
    for method, path, body in calls:
        assert internal.request(method, path, json=body, headers=headers).status_code == 401, path


def test_a_user_token_is_not_a_service_key(internal, alice):
    response = internal.get(f"{INTERNAL}/users/{alice.user_id}/checkins", headers=alice.headers)
    assert response.status_code == 401


def test_a_replay_may_add_the_note_once_but_never_change_the_scores(client, internal, alice):
    """The chat saves the scores first and asks for the optional note after."""
    first = internal.post(f"{INTERNAL}/checkins", json=checkin_body(alice.user_id, "n1"),
                          headers=SERVICE).json()
    assert first["note"] is None
    amended = internal.post(
        f"{INTERNAL}/checkins",
        json=checkin_body(alice.user_id, "n1", pain=9, note="knee after gardening",
                          locations=["knee"]),
        headers=SERVICE,
    )
    assert amended.status_code == 200
    row = amended.json()
    assert (row["pain"], row["note"], row["locations"]) == (5, "knee after gardening", ["knee"])
    again = internal.post(f"{INTERNAL}/checkins",
                          json=checkin_body(alice.user_id, "n1", note="something else"),
                          headers=SERVICE).json()
    assert again["note"] == "knee after gardening"
    assert len(client.get("/api/v1/me/checkins", headers=alice.headers).json()) == 1

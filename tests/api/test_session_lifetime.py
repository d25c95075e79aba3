"""Tokens that live as long as people use them, sign-out, and the retention job that erases
the data of people who stopped coming back (issue #21, finding 1). Time is a fake clock
injected into the app: nothing here sleeps."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading

import jwt
import pytest
from pydantic import ValidationError
from sqlalchemy import event, update

from api.models import User
from tests.api.conftest import JWT_SECRET, SERVICE, FakeClock, checkin_body, start_session
from tests.api.test_erase import _rows_mentioning, _seed_tracker

REFRESH = "/api/v1/sessions/refresh"
SIGN_OUT = "/api/v1/sessions/current"
CHECKINS = "/api/v1/me/checkins"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def renew(client, token: str) -> str:
    response = client.post(REFRESH, headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json()["token"]


def test_a_user_active_on_day_29_keeps_access_on_day_31_by_renewing(make_client, internal):
    clock = FakeClock()
    client = make_client(clock=clock)
    alice = start_session(client)
    internal.post("/api/v1/internal/checkins", json=checkin_body(alice.user_id), headers=SERVICE)

    clock.advance(days=29)
    response = client.post(REFRESH, headers=alice.headers)
    assert response.status_code == 200
    assert response.json()["user_id"] == alice.user_id
    renewed = response.json()["token"]
    # The fake clock runs ahead of the real one, which PyJWT would check against.
    real_time_checks_off = {"verify_exp": False, "verify_iat": False}
    claims = jwt.decode(renewed, JWT_SECRET, algorithms=["HS256"], options=real_time_checks_off)
    assert claims["sub"] == alice.user_id
    assert claims["exp"] == int((clock() + dt.timedelta(days=30)).timestamp())

    clock.advance(days=2)  # day 31: the first token expired on day 30, the renewed one lives
    assert client.get(CHECKINS, headers=alice.headers).status_code == 401
    response = client.get(CHECKINS, headers=bearer(renewed))
    assert response.status_code == 200
    assert len(response.json()) == 1  # the same person, with their check-in


def test_an_expired_token_cannot_be_renewed(make_client):
    clock = FakeClock()
    client = make_client(clock=clock)
    alice = start_session(client)
    clock.advance(days=30, seconds=1)
    response = client.post(REFRESH, headers=alice.headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_signing_out_revokes_the_token_and_every_renewal_of_it(make_client, rasa):
    clock = FakeClock()
    client = make_client(clock=clock)
    alice, bob = start_session(client), start_session(client)
    clock.advance(hours=2)
    renewed = renew(client, alice.token)

    assert client.delete(SIGN_OUT, headers=alice.headers).status_code == 204

    for token in (alice.token, renewed):
        for method, path, body in [
            ("GET", CHECKINS, None),
            ("POST", "/api/v1/chat", {"message": "hi"}),
            ("POST", REFRESH, None),
            ("DELETE", SIGN_OUT, None),
            ("DELETE", "/api/v1/me", None),
        ]:
            response = client.request(method, path, json=body, headers=bearer(token))
            assert response.status_code == 401, (method, path)
    assert rasa.received == []
    assert client.get(CHECKINS, headers=bob.headers).status_code == 200


def test_a_token_issued_before_session_ids_still_works_and_can_be_revoked(client, alice):
    now = dt.datetime.now(dt.timezone.utc)
    legacy = jwt.encode(
        {"sub": alice.user_id, "iat": now, "exp": now + dt.timedelta(days=3)},
        JWT_SECRET,
        algorithm="HS256",
    )
    assert client.get(CHECKINS, headers=bearer(legacy)).status_code == 200
    renewed = renew(client, legacy)
    assert client.delete(SIGN_OUT, headers=bearer(legacy)).status_code == 204
    assert client.get(CHECKINS, headers=bearer(legacy)).status_code == 401
    assert client.get(CHECKINS, headers=bearer(renewed)).status_code == 401
    # The token Alice got when her session started is a separate one and still works.
    assert client.get(CHECKINS, headers=alice.headers).status_code == 200


def test_activity_is_recorded_at_most_once_an_hour(make_client):
    clock = FakeClock()
    client = make_client(clock=clock)
    alice = start_session(client)
    user_updates: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith("UPDATE USERS"):
            user_updates.append(statement)

    event.listen(client.app.state.engine, "before_cursor_execute", count)
    for _ in range(20):
        clock.advance(minutes=2)
        assert client.get(CHECKINS, headers=alice.headers).status_code == 200
    assert user_updates == []  # 40 minutes of requests: no write

    clock.advance(minutes=30)
    client.get(CHECKINS, headers=alice.headers)
    client.get(CHECKINS, headers=alice.headers)
    assert len(user_updates) == 1
    with client.app.state.sessionmaker() as db:
        assert db.get(User, alice.user_id).last_seen_at == clock()


def test_the_retention_job_erases_inactive_users_and_their_rasa_history_and_keeps_active_ones(
    make_client, internal, api_env
):
    from api.services import retention

    clock = FakeClock()
    client = make_client(clock=clock, cadence_retention_days=180)
    idle, active = start_session(client), start_session(client)
    for person in (idle, active):
        internal.post(
            "/api/v1/internal/checkins", json=checkin_body(person.user_id), headers=SERVICE
        ).raise_for_status()
        client.post("/api/v1/chat", json={"message": "hi"}, headers=person.headers)
    _seed_tracker(api_env["TRACKER_STORE_URL"], [idle.user_id, active.user_id])

    token = active.token
    for _ in range(10):  # 200 days, renewing every 20
        clock.advance(days=20)
        token = renew(client, token)

    state = client.app.state
    erased = retention.run(state.sessionmaker, state.tracker_engine, clock(), 180)

    assert erased == 1
    assert set(_rows_mentioning(api_env["DATABASE_URL"], idle.user_id).values()) == {0}
    assert _rows_mentioning(api_env["TRACKER_STORE_URL"], idle.user_id) == {"events.sender_id": 0}
    assert _rows_mentioning(api_env["TRACKER_STORE_URL"], active.user_id) == {"events.sender_id": 3}
    response = client.get(CHECKINS, headers=bearer(token))
    assert response.status_code == 200 and len(response.json()) == 1
    assert retention.run(state.sessionmaker, state.tracker_engine, clock(), 180) == 0


def test_the_retention_job_runs_from_the_command_line(client, alice, bob, api_env, capsys):
    from api.services import retention

    long_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=181)
    with client.app.state.sessionmaker() as db:
        db.execute(update(User).where(User.id == alice.user_id).values(last_seen_at=long_ago))
        db.commit()

    assert retention.main() == 0

    assert "erased 1 " in capsys.readouterr().out
    assert client.get(CHECKINS, headers=alice.headers).status_code == 401
    assert client.get(CHECKINS, headers=bob.headers).status_code == 200


def test_the_app_runs_the_retention_job_periodically_and_survives_a_failed_run():
    from api.services import retention

    runs: list[str] = []
    sleeps: list[float] = []

    def run_once() -> int:
        runs.append("run")
        if len(runs) == 1:
            raise RuntimeError("tracker store down")
        return 0

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) > 3:
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(
            retention.erase_inactive_periodically(run_once, interval_hours=24, sleep=fake_sleep)
        )
    assert runs == ["run"] * 3
    assert sleeps[1:] == [24 * 3600] * 3


def test_retention_must_outlast_the_token_lifetime():
    from api.settings import Settings

    with pytest.raises(ValidationError, match="CADENCE_RETENTION_DAYS"):
        Settings(token_ttl_days=30, cadence_retention_days=30)
    assert Settings(token_ttl_days=30, cadence_retention_days=31.5).cadence_retention_days == 31.5


def test_stopping_the_retention_job_ends_it_between_two_users(make_client):
    from api.services import retention

    clock = FakeClock()
    client = make_client(clock=clock)
    people = [start_session(client) for _ in range(3)]
    clock.advance(days=400)
    stop = threading.Event()
    stop.set()
    state = client.app.state
    assert retention.run(state.sessionmaker, state.tracker_engine, clock(), 180, stop) == 0
    with state.sessionmaker() as db:
        assert all(db.get(User, person.user_id) is not None for person in people)

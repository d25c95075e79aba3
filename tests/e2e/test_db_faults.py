"""The API's database is busy (another process holds SQLite's write lock): real processes.

A real uvicorn API (both listeners) and a real action server on a temporary database, no
Rasa (so no trained model needed). Check-ins go through the internal listener with the
service key, as the action server sends them.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests

from tests.support.stack import Stack

pytestmark = pytest.mark.e2e

# The API's own budget (api/db.py): ~1 s SQLite busy wait per attempt, no new attempt
# after 1.5 s. The action server's client gives up after 3 s.
CLIENT_TIMEOUT_S = 3.0


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    running = Stack()
    running.start_api_only()
    yield running
    running.stop()


@pytest.fixture
def user_id(stack: Stack) -> str:
    response = requests.post(f"{stack.api_url}/api/v1/sessions", timeout=10)
    response.raise_for_status()
    return response.json()["user_id"]


def checkin(user_id: str, key: str | None = None) -> dict:
    return {"user_id": user_id, "idempotency_key": key or str(uuid.uuid4()), "pain": 4,
            "fatigue": 7, "sleep_quality": 3, "stress": 5}


def post_checkin(stack: Stack, body: dict) -> requests.Response:
    return requests.post(f"{stack.internal_api_url}/api/v1/internal/checkins", json=body,
                         headers={"X-Service-Key": stack.env_value("SERVICE_KEY")}, timeout=10)


def stored(stack: Stack, user_id: str) -> list[dict]:
    response = requests.get(f"{stack.internal_api_url}/api/v1/internal/users/{user_id}/checkins",
                            headers={"X-Service-Key": stack.env_value("SERVICE_KEY")},
                            timeout=10)
    response.raise_for_status()
    return response.json()


@contextmanager
def write_lock(stack: Stack, seconds: float) -> Iterator[None]:
    """Another process's exclusive transaction on the API's database for `seconds`."""
    holder = sqlite3.connect(stack.api_db, timeout=10, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    timer = threading.Timer(seconds, holder.rollback)
    timer.start()
    try:
        yield
    finally:
        timer.join()
        holder.close()


def test_a_lock_shorter_than_the_budget_is_waited_out_and_stored_once(stack, user_id):
    body = checkin(user_id)
    with write_lock(stack, 1.6):
        started = time.monotonic()
        response = post_checkin(stack, body)
        elapsed = time.monotonic() - started

    assert response.status_code == 201, response.text
    assert 1.5 <= elapsed < CLIENT_TIMEOUT_S
    assert [row["pain"] for row in stored(stack, user_id)] == [4]
    assert "database busy" in stack.logs("api_internal")


def test_a_lock_longer_than_the_budget_gives_503_then_the_replay_is_stored_once(
    stack, user_id
):
    body = checkin(user_id)
    with write_lock(stack, 4.0):
        started = time.monotonic()
        response = post_checkin(stack, body)
        elapsed = time.monotonic() - started
        assert stored(stack, user_id) == []  # readers are not blocked in WAL mode

    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "2"
    assert "busy" in response.json()["detail"]
    assert elapsed < CLIENT_TIMEOUT_S  # answered before the action server gives up

    replay = post_checkin(stack, body)
    assert replay.status_code == 201, replay.text
    assert post_checkin(stack, body).status_code == 200  # and again: found, not added
    assert len(stored(stack, user_id)) == 1


def test_the_outbox_waits_out_a_busy_database_and_delivers_once(stack, user_id):
    """API answers 503 while locked; the action server's outbox keeps the check-in, backs
    off, and delivers it once the lock is gone."""
    from actions import outbox

    actions = stack.processes["actions"]
    if not actions.running:
        actions.start()
        actions.wait_ready()
    body = checkin(user_id)
    with write_lock(stack, 6.0):
        outbox.put(body, path=stack.data_dir / "outbox.db")
        time.sleep(5.5)
        assert stored(stack, user_id) == []

    deadline = time.monotonic() + 30
    while not stored(stack, user_id) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert len(stored(stack, user_id)) == 1
    assert outbox.pending(path=stack.data_dir / "outbox.db") == []
    assert "next try in" in stack.logs("actions")
    time.sleep(2)  # a few more flusher rounds: nothing is sent twice
    assert len(stored(stack, user_id)) == 1

"""The database is busy or briefly unavailable: retried with backoff, stored once, and a
503 with Retry-After (never a 500) when it stays that way.

Faults are injected at the SQLAlchemy layer of the real app (the same exception types the
drivers raise), plus one real SQLite lock held by another connection.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from api import db as api_db
from tests.api.conftest import SERVICE, Person, checkin_body

LOCKED = sqlite3.OperationalError("database is locked")


class FailingStatements:
    """Make the next `times` statements matching `pattern` (e.g. "INSERT INTO checkins",
    "SELECT ... FROM checkins") fail as a locked database does (None: all of them)."""

    def __init__(self, client: TestClient, pattern: str, times: int | None) -> None:
        self.engine = client.app.state.engine
        self.start, _, self.table = pattern.partition(" ... ")
        self.times = times
        self.attempts = 0
        event.listen(self.engine, "before_cursor_execute", self.before)

    def before(self, _conn, _cursor, statement, parameters, _context, _many):  # noqa: ANN001
        if statement.lstrip().startswith(self.start) and self.table in statement:
            self.attempts += 1
            if self.times is None or self.attempts <= self.times:
                raise OperationalError(statement, parameters, LOCKED)

    def stop(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self.before)


def stored(internal: TestClient, user_id: str) -> list[dict]:
    response = internal.get(f"/api/v1/internal/users/{user_id}/checkins", headers=SERVICE)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_busy_database_is_retried_and_the_checkin_stored_once(internal, alice: Person):
    failing = FailingStatements(internal, "INSERT INTO checkins", times=2)

    started = time.monotonic()
    response = internal.post("/api/v1/internal/checkins", json=checkin_body(alice.user_id),
                             headers=SERVICE)
    elapsed = time.monotonic() - started

    assert response.status_code == 201, response.text
    assert failing.attempts == 3
    assert elapsed < api_db.RETRY_BUDGET_S
    assert [row["pain"] for row in stored(internal, alice.user_id)] == [5]


def test_a_commit_whose_reply_was_lost_is_not_stored_twice(
    internal, alice: Person, monkeypatch: pytest.MonkeyPatch
):
    """The commit lands but the connection fails before it answers (the driver's own
    error, as SQLite or psycopg raises it): the retry finds the row by its idempotency
    key instead of inserting a second one."""
    dialect = internal.app.state.engine.dialect
    commit = dialect.do_commit
    lost: list[bool] = []

    def commit_then_fail(dbapi_connection) -> None:  # noqa: ANN001
        commit(dbapi_connection)
        if not lost:
            lost.append(True)
            raise dialect.loaded_dbapi.OperationalError("server closed the connection")

    monkeypatch.setattr(dialect, "do_commit", commit_then_fail)
    response = internal.post("/api/v1/internal/checkins", json=checkin_body(alice.user_id),
                             headers=SERVICE)

    assert lost == [True]
    assert response.status_code == 200, response.text  # found, not created again
    assert len(stored(internal, alice.user_id)) == 1


def test_a_database_that_stays_busy_gives_503_with_retry_after(internal, alice: Person):
    failing = FailingStatements(internal, "INSERT INTO checkins", times=None)

    started = time.monotonic()
    response = internal.post("/api/v1/internal/checkins", json=checkin_body(alice.user_id),
                             headers=SERVICE)
    elapsed = time.monotonic() - started

    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == str(api_db.RETRY_AFTER_S)
    assert response.json() == {"detail": api_db.BUSY_DETAIL}
    # Retried with backoff, within the budget (the action server gives up after 3 s).
    assert 2 <= failing.attempts <= api_db.RETRY_ATTEMPTS
    assert elapsed < api_db.RETRY_BUDGET_S + 1.0
    assert stored(internal, alice.user_id) == []

    # The database is back: the outbox's replay of the same key stores it, once.
    failing.stop()
    replay = internal.post("/api/v1/internal/checkins", json=checkin_body(alice.user_id),
                           headers=SERVICE)
    assert replay.status_code == 201, replay.text
    assert len(stored(internal, alice.user_id)) == 1


@pytest.mark.parametrize(
    ("method", "path", "pattern"),
    [
        ("GET", "/api/v1/me/checkins", "SELECT ... FROM checkins"),
        ("POST", "/api/v1/sessions", "INSERT INTO users"),
    ],
)
def test_other_routes_say_503_not_500_when_the_database_is_unavailable(
    client, alice: Person, method: str, path: str, pattern: str
):
    FailingStatements(client, pattern, times=None)
    response = client.request(method, path, headers=alice.headers)

    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == str(api_db.RETRY_AFTER_S)
    assert response.json() == {"detail": api_db.BUSY_DETAIL}


def test_a_real_sqlite_lock_held_past_the_busy_timeout_is_waited_out(
    internal, alice: Person, database_url: str
):
    """Another process holds the write lock for longer than SQLite's own busy wait."""
    if not database_url.startswith("sqlite:///"):
        pytest.skip("SQLite locking")
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    hold_s = api_db.SQLITE_BUSY_TIMEOUT_MS / 1000 + 0.3
    release: Callable[[], None] = holder.rollback
    timer = threading.Timer(hold_s, release)
    timer.start()
    try:
        started = time.monotonic()
        response = internal.post("/api/v1/internal/checkins", json=checkin_body(alice.user_id),
                                 headers=SERVICE)
        elapsed = time.monotonic() - started
    finally:
        timer.join()
        holder.close()

    assert response.status_code == 201, response.text
    assert elapsed >= hold_s - 0.05  # it really waited for the lock
    assert len(stored(internal, alice.user_id)) == 1

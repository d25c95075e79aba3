"""DELETE /api/v1/me: every row about the user, everywhere, and the token dies."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, inspect, text

from api.models import RevokedSession, TechniqueFeedback
from tests.api.conftest import EVENTS_DDL, SERVICE, checkin_body


def _tracker(api_env) -> str:
    return api_env["TRACKER_STORE_URL"]


def _seed_tracker(url: str, senders: list[str]) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(EVENTS_DDL))
        for sender in senders:
            for kind in ("user", "bot", "action"):
                connection.execute(
                    text(
                        "INSERT INTO events (sender_id, type_name, timestamp, data) "
                        "VALUES (:s, :t, 0, '{}')"
                    ),
                    {"s": sender, "t": kind},
                )
    engine.dispose()


def _rows_mentioning(url: str, user_id: str) -> dict[str, int]:
    engine = create_engine(url)
    counts = {}
    with engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            columns = [c["name"] for c in inspect(connection).get_columns(table)]
            column = next((c for c in ("user_id", "sender_id") if c in columns), None)
            if table == "users":
                column = "id"
            if column is not None:
                counts[f"{table}.{column}"] = connection.execute(
                    text(f"SELECT COUNT(*) FROM {table} WHERE {column} = :u"), {"u": user_id}
                ).scalar_one()
    engine.dispose()
    return counts


def test_erase_removes_every_row_for_the_user_and_only_theirs(
    client, internal, alice, bob, rasa, api_env
):
    for person in (alice, bob):
        client.post("/api/v1/chat", json={"message": "hi"}, headers=person.headers)
        internal.post(
            "/api/v1/internal/checkins", json=checkin_body(person.user_id), headers=SERVICE
        )
        internal.post(
            "/api/v1/internal/safety-events",
            json={"user_id": person.user_id, "kind": "crisis"},
            headers=SERVICE,
        )
        internal.post(
            "/api/v1/internal/weekly-checks",
            json={"user_id": person.user_id, "idempotency_key": "w", "enjoyment": 3,
                  "activity": 4, "phq_interest": 1, "phq_mood": 2},
            headers=SERVICE,
        )
    _seed_tracker(_tracker(api_env), [alice.user_id, bob.user_id])
    with client.app.state.sessionmaker() as db:
        for person in (alice, bob):
            db.add(TechniqueFeedback(user_id=person.user_id, technique_id="heat", helped=True))
            db.add(RevokedSession(session_id=f"out-{person.user_id}", user_id=person.user_id))
        db.commit()
    database = api_env["DATABASE_URL"]
    before = _rows_mentioning(database, alice.user_id)
    assert before["users.id"] == 1 and before["checkins.user_id"] == 1
    assert before["conversation_turns.user_id"] == 2 and before["safety_events.user_id"] == 1
    assert before["technique_feedback.user_id"] == 1 and before["weekly_checks.user_id"] == 1
    assert before["revoked_sessions.user_id"] == 1

    assert client.delete("/api/v1/me", headers=alice.headers).status_code == 204

    assert set(_rows_mentioning(database, alice.user_id).values()) == {0}
    assert _rows_mentioning(_tracker(api_env), alice.user_id) == {"events.sender_id": 0}
    # Bob is untouched.
    assert _rows_mentioning(_tracker(api_env), bob.user_id) == {"events.sender_id": 3}
    assert min(_rows_mentioning(database, bob.user_id).values()) >= 1
    assert client.get("/api/v1/me/checkins", headers=bob.headers).status_code == 200

    for method, path in [
        ("GET", "/api/v1/me/conversation"),
        ("DELETE", "/api/v1/me"),
        ("POST", "/api/v1/chat"),
    ]:
        response = client.request(method, path, json={"message": "hi"}, headers=alice.headers)
        assert response.status_code == 401


def _bytes_on_disk(url: str) -> bytes:
    """The database file and its WAL/journal, as raw bytes: what a copied disk would hold."""
    path = Path(url.removeprefix("sqlite:///"))
    files = [path, Path(f"{path}-wal"), Path(f"{path}-journal")]
    return b"".join(f.read_bytes() for f in files if f.exists())


def test_erased_data_is_not_left_in_the_database_files(client, internal, alice, rasa, api_env):
    """A DELETE in SQLite only marks pages free: without secure_delete and a checkpoint
    the note and the conversation stay readable in the file and its write-ahead log."""
    database, tracker = api_env["DATABASE_URL"], _tracker(api_env)
    if not database.startswith("sqlite"):
        pytest.skip("file check for the SQLite default; PostgreSQL vacuums on its own")
    note = "zebra-crossing-note-4471"
    internal.post("/api/v1/internal/checkins", headers=SERVICE,
                  json=checkin_body(alice.user_id, note=note)).raise_for_status()
    _seed_tracker(tracker, [alice.user_id])
    engine = create_engine(tracker)
    with engine.begin() as connection:
        connection.execute(text("UPDATE events SET data = :d WHERE sender_id = :u"),
                           {"d": '{"text": "said-in-chat-9902"}', "u": alice.user_id})
    engine.dispose()
    assert note.encode() in _bytes_on_disk(database)
    assert b"said-in-chat-9902" in _bytes_on_disk(tracker)

    assert client.delete("/api/v1/me", headers=alice.headers).status_code == 204

    for url in (database, tracker):
        on_disk = _bytes_on_disk(url)
        assert note.encode() not in on_disk and b"said-in-chat-9902" not in on_disk
        assert alice.user_id.encode() not in on_disk


def test_erase_without_tracker_database_or_table(client, alice, api_env):
    tracker_file = Path(_tracker(api_env).removeprefix("sqlite:///"))
    assert not tracker_file.exists()
    assert client.delete("/api/v1/me", headers=alice.headers).status_code == 204
    assert not tracker_file.exists()  # erasing must not create Rasa's database

    other = client.post("/api/v1/sessions").json()
    engine = create_engine(_tracker(api_env))
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE unrelated (x INTEGER)"))
    engine.dispose()
    response = client.delete("/api/v1/me", headers={"Authorization": f"Bearer {other['token']}"})
    assert response.status_code == 204


def test_erase_refuses_to_half_finish_when_tracker_fails(make_client, tmp_path):
    corrupt = tmp_path / "corrupt-tracker.db"
    corrupt.write_bytes(b"this is not a sqlite database" * 100)
    client = make_client(tracker_store_url=f"sqlite:///{corrupt}")
    person = client.post("/api/v1/sessions").json()
    headers = {"Authorization": f"Bearer {person['token']}"}
    response = client.delete("/api/v1/me", headers=headers)
    assert response.status_code == 503
    # Nothing was deleted, so the user can retry.
    assert client.get("/api/v1/me/conversation", headers=headers).status_code == 200


def test_a_chat_turn_in_flight_during_the_erase_is_not_saved_anywhere(client, alice, rasa, api_env):
    """Rasa saves a turn's events just before it answers, by appending whatever it finds
    missing: a turn that was under way when the erase ran writes the conversation back."""
    tracker, database = _tracker(api_env), api_env["DATABASE_URL"]
    rasa.tracker_store_url = tracker
    client.post("/api/v1/chat", json={"message": "my knee hurts"}, headers=alice.headers)
    erased = threading.Event()
    arrived = rasa.hold_until(erased)
    with ThreadPoolExecutor(max_workers=1) as pool:
        in_flight = pool.submit(
            client.post, "/api/v1/chat", json={"message": "said while erasing"},
            headers=alice.headers,
        )
        assert arrived.wait(10)
        assert client.delete("/api/v1/me", headers=alice.headers).status_code == 204
        erased.set()
        response = in_flight.result(timeout=10)

    assert response.status_code == 401  # the token died with the user
    assert set(_rows_mentioning(database, alice.user_id).values()) == {0}
    assert _rows_mentioning(tracker, alice.user_id) == {"events.sender_id": 0}


def test_a_chat_turn_answered_while_the_erase_deletes_our_rows_leaves_nothing_behind(
    client, alice, rasa, api_env
):
    """Rasa answers after the tracker store was emptied but before the user's rows are
    gone: the API stores the answer as usual, and the erase must still take both away."""
    tracker, database = _tracker(api_env), api_env["DATABASE_URL"]
    rasa.tracker_store_url = tracker
    client.post("/api/v1/chat", json={"message": "my knee hurts"}, headers=alice.headers)
    answer, answered = threading.Event(), threading.Event()

    def between_tracker_and_rows(_conn, _cursor, statement, *_):  # noqa: ANN001
        if statement.lstrip().startswith("DELETE FROM") and not answer.is_set():
            answer.set()  # the tracker store is empty by now; our rows are next
            assert answered.wait(10)

    rasa.hold_until(answer)
    engine = client.app.state.engine
    event.listen(engine, "before_cursor_execute", between_tracker_and_rows)
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            in_flight = pool.submit(
                client.post, "/api/v1/chat", json={"message": "said while erasing"},
                headers=alice.headers,
            )
            in_flight.add_done_callback(lambda _: answered.set())
            assert client.delete("/api/v1/me", headers=alice.headers).status_code == 204
            response = in_flight.result(timeout=10)
    finally:
        event.remove(engine, "before_cursor_execute", between_tracker_and_rows)

    assert response.status_code == 200
    assert set(_rows_mentioning(database, alice.user_id).values()) == {0}
    assert _rows_mentioning(tracker, alice.user_id) == {"events.sender_id": 0}

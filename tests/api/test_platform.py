"""Health, static files, security headers, body limit and what the logs may contain."""

from __future__ import annotations

import logging
import stat
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import create_engine, text

from tests.api.conftest import SERVICE, checkin_body, migrate


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_ok_when_database_and_a_rasa_answer(client, rasa):
    rasa.down_hosts = {"rasa-a"}
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "rasa": "ok"}


def test_readyz_names_the_failed_dependency(client, rasa):
    rasa.down = True
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "rasa": "failed"}


def test_readyz_reports_database_failure(make_client, tmp_path):
    (tmp_path / "not-a-db").write_bytes(b"garbage" * 1000)
    client = make_client(database_url=f"sqlite:///{tmp_path / 'not-a-db'}")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "failed"


def test_widget_is_served_at_root(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "<title>Cadence</title>" in response.text


def test_api_routes_win_over_static_files(client):
    assert client.get("/api/v1/me/checkins").status_code == 401
    response = client.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")


def test_app_starts_without_a_web_directory(make_client, tmp_path):
    client = make_client(web_dir=tmp_path / "absent")
    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 404


@pytest.mark.parametrize("path", ["/", "/healthz", "/api/v1/me/checkins", "/missing.js"])
def test_security_headers_on_every_response(client, path):
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ]:
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Frame-Options"] == "DENY"
    assert "camera=()" in headers["Permissions-Policy"]


def test_api_responses_are_not_cached(client, alice):
    assert client.get("/api/v1/me/checkins", headers=alice.headers).headers["Cache-Control"] == (
        "no-store"
    )


def test_oversized_body_is_413_json_with_headers(client, alice, rasa):
    body = '{"message": "' + "a" * 70_000 + '"}'
    response = client.post(
        "/api/v1/chat", content=body, headers={**alice.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "Request body too large"}
    assert response.headers["X-Frame-Options"] == "DENY"
    assert rasa.received == []


def test_oversized_chunked_body_is_413(client, alice):
    def chunks():
        for _ in range(20):
            yield b"x" * 8192

    response = client.post(
        "/api/v1/chat",
        content=chunks(),
        headers={**alice.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 413


def _served_like_uvicorn(app):
    """uvicorn logs an exception that escapes the app, traceback and message included."""

    async def serve(scope, receive, send):
        try:
            await app(scope, receive, send)
        except Exception as exc:
            server_log = logging.getLogger("uvicorn.error")
            server_log.error("Exception in ASGI application\n", exc_info=exc)

    return serve


def _refuse(url: str, table: str, statement: str) -> None:
    """Make a SQLite table refuse INSERTs or DELETEs, as a full disk or a lock would."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                f"CREATE TRIGGER refuse_{statement.lower()}_{table} BEFORE {statement} ON "
                f"{table} BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        )
    engine.dispose()


def test_logs_hold_no_message_text_health_values_tokens_or_user_ids(
    client, internal, alice, rasa, caplog, api_env
):
    database, tracker = api_env["DATABASE_URL"], api_env["TRACKER_STORE_URL"]
    rasa.tracker_store_url = tracker
    with caplog.at_level(logging.DEBUG):
        client.post("/api/v1/chat", json={"message": "my secret pain story"}, headers=alice.headers)
        internal.post(
            "/api/v1/internal/checkins",
            json=checkin_body(alice.user_id, note="private note", pain=9),
            headers=SERVICE,
        )
        rasa.down = True
        client.post("/api/v1/chat", json={"message": "another secret"}, headers=alice.headers)
        rasa.down = False
        # Routes that carry the user's id in their path, one of them for an unknown user.
        for path in (
            f"/api/v1/internal/users/{alice.user_id}/checkins",
            f"/api/v1/internal/users/{alice.user_id}/insights",
            f"/api/v1/internal/users/{alice.user_id}/suggestions",
            f"/api/v1/internal/users/{uuid.uuid4()}/checkins",
        ):
            internal.get(path, headers=SERVICE)
        client.delete("/api/v1/me/conversation", headers=alice.headers)
        client.post("/api/v1/chat", json={"message": "a third secret"}, headers=alice.headers)
        if database.startswith("sqlite"):  # the trigger below is SQLite's syntax
            # A database error nobody handles: the server logs it with its traceback.
            _refuse(database, "checkins", "INSERT")
            served = TestClient(_served_like_uvicorn(internal.app), raise_server_exceptions=False)
            response = served.post(
                "/api/v1/internal/checkins",
                json=checkin_body(alice.user_id, key="k2", note="private note"),
                headers=SERVICE,
            )
            assert response.status_code == 500
        # The tracker store fails during an erase.
        _refuse(tracker, "events", "DELETE")
        assert client.delete("/api/v1/me", headers=alice.headers).status_code == 503
    # The test client's own record of what it requested is not the API's log.
    records = [
        record
        for record in caplog.records
        if not (record.name == "httpx" and "http://testserver/" in record.getMessage())
    ]
    logged = "\n".join(caplog.handler.format(record) for record in records)
    secrets = (
        "secret pain story",
        "another secret",
        "a third secret",
        "private note",
        alice.token,
        alice.user_id,
        SERVICE["X-Service-Key"],
    )
    leaks = {
        secret: [line for line in logged.splitlines() if secret in line]
        for secret in secrets
        if secret in logged
    }
    assert leaks == {}
    assert "POST /api/v1/chat 200" in logged
    assert "POST /api/v1/internal/checkins 201" in logged
    assert "GET /api/v1/internal/users/{user_id}/checkins 404" in logged
    # The failed erase is logged by the error's type alone: no traceback, no statement.
    [erase_failed] = [record for record in records if record.name == "cadence.api.erase"]
    assert erase_failed.getMessage() == "tracker store erase failed (IntegrityError)"
    assert erase_failed.exc_info is None


def test_embedding_sites_can_be_allowed(make_client):
    client = make_client(frame_ancestors="https://clinic.example")
    headers = client.get("/").headers
    assert "frame-ancestors https://clinic.example" in headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in headers


def test_frame_ancestors_apply_to_the_widget_page_only_never_to_the_insights_page(
    make_client, api_env
):
    insights = Path(api_env["WEB_DIR"]) / "insights.html"
    insights.write_text("<!doctype html><title>Insights</title>")
    client = make_client(frame_ancestors="https://clinic.example https://www.clinic.example")
    for path in ("/", "/?embed=1", "/index.html"):
        headers = client.get(path).headers
        assert (
            "frame-ancestors https://clinic.example https://www.clinic.example;"
            in headers["Content-Security-Policy"]
        ), path
        assert "X-Frame-Options" not in headers, path
    # The insights page has "Delete all my data": no other site may frame it (clickjacking).
    for path in ("/insights.html", "/api/v1/me/checkins", "/healthz"):
        headers = client.get(path).headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path
        assert "clinic.example" not in headers["Content-Security-Policy"], path
        assert headers["X-Frame-Options"] == "DENY", path


@pytest.mark.parametrize(
    "value", ["*", "https://*", "https://*.clinic.example", "'self' *", "https://a.example *"]
)
def test_wildcard_frame_ancestors_are_refused_at_startup_with_a_clear_error(value, monkeypatch):
    from api.main import create_app
    from api.settings import get_settings

    monkeypatch.setenv("FRAME_ANCESTORS", value)
    get_settings.cache_clear()
    try:
        with pytest.raises(ValidationError, match="FRAME_ANCESTORS.*wildcard"):
            create_app()
    finally:
        get_settings.cache_clear()


def test_hsts_is_sent_in_production_only(make_client):
    assert "Strict-Transport-Security" not in make_client().get("/healthz").headers
    production = make_client(cadence_env="production")
    for path in ("/", "/healthz", "/api/v1/me/checkins"):
        hsts = production.get(path).headers["Strict-Transport-Security"]
        assert hsts.startswith("max-age=") and int(hsts.split(";")[0].split("=")[1]) >= 31536000


def test_a_new_sqlite_database_and_its_wal_files_are_readable_by_their_owner_only(tmp_path):
    from api.db import make_engine

    data_dir = tmp_path / "var"
    database = data_dir / "cadence.db"
    migrate(f"sqlite:///{database}")  # how a deployment creates it: alembic upgrade head
    engine = make_engine(f"sqlite:///{database}")
    with engine.begin() as connection:  # WAL mode: the write creates -wal and -shm
        connection.execute(text("CREATE TABLE scratch (x INTEGER)"))
        connection.execute(text("INSERT INTO scratch VALUES (1)"))
        files = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
        modes = {f.name: oct(stat.S_IMODE(f.stat().st_mode)) for f in files}
    engine.dispose()
    assert modes == {f.name: "0o600" for f in files}
    assert oct(stat.S_IMODE(data_dir.stat().st_mode)) == "0o700"


def test_large_responses_are_compressed(client):
    response = client.get("/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") == "gzip"


def test_the_rasa_client_finds_its_modules_without_searching_on_every_request():
    """httpcore asks sniffio which event loop runs on every request; without sniffio
    installed that is a failed import, a search of sys.path each time (7 % of the API's
    CPU on a chat turn, measured with py-spy)."""
    import asyncio
    import sys

    from httpcore._synchronization import current_async_library

    searched: list[str] = []

    class RecordingFinder:
        def find_spec(self, name, path=None, target=None):  # noqa: ANN001, ANN201
            searched.append(name)
            return None

    async def ask() -> str:
        return current_async_library()

    finder = RecordingFinder()
    sys.meta_path.insert(0, finder)
    try:
        assert asyncio.run(ask()) == "asyncio"
    finally:
        sys.meta_path.remove(finder)
    assert searched == []

"""The action server's routes live on their own listener (#21, finding 4).

They take a user id from the caller and trust one service key, so the public app never
serves them nor lists them, production publishes no schema, production secrets are long,
and wrong service keys are logged (without the key) and throttled per address.
"""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import SERVICE, SERVICE_KEY, checkin_body

INTERNAL = "/api/v1/internal"


def internal_calls(user_id: str) -> list[tuple[str, str, dict | None]]:
    return [
        ("POST", f"{INTERNAL}/checkins", checkin_body(user_id)),
        ("GET", f"{INTERNAL}/users/{user_id}/checkins", None),
        ("GET", f"{INTERNAL}/users/{user_id}/insights", None),
        ("GET", f"{INTERNAL}/users/{user_id}/suggestions", None),
        ("POST", f"{INTERNAL}/safety-events", {"user_id": user_id, "kind": "crisis"}),
        ("POST", f"{INTERNAL}/weekly-checks", {"user_id": user_id, "idempotency_key": "w",
                                               "enjoyment": 4, "activity": 5}),
        ("POST", f"{INTERNAL}/technique-feedback",
         {"user_id": user_id, "technique_id": "heat", "helped": True}),
    ]


def test_the_public_app_answers_404_for_internal_routes_even_with_the_service_key(
    client, internal, alice
):
    for method, path, body in internal_calls(alice.user_id):
        response = client.request(method, path, json=body, headers=SERVICE)
        assert response.status_code == 404, (method, path)
    assert client.get("/api/v1/me/checkins", headers=alice.headers).json() == []
    # The same calls are served on the internal listener.
    for method, path, body in internal_calls(alice.user_id):
        response = internal.request(method, path, json=body, headers=SERVICE)
        assert response.status_code in (200, 201), (method, path, response.text)


def test_the_public_openapi_document_lists_no_internal_route(client):
    schema = client.get("/openapi.json").json()
    assert "/api/v1/chat" in schema["paths"]
    assert [path for path in schema["paths"] if "internal" in path] == []
    tags = {tag for operation in schema["paths"].values() for o in operation.values()
            for tag in o.get("tags", ())}
    assert not tags & {"internal", "techniques"}


def test_production_serves_no_openapi_document_and_no_docs(make_client, make_internal):
    for app in (make_client(cadence_env="production"), make_internal(cadence_env="production")):
        for path in ("/openapi.json", "/docs", "/redoc", "/docs/oauth2-redirect"):
            assert app.get(path).status_code == 404, path
        assert app.get("/healthz").status_code == 200


@pytest.mark.parametrize("name", ["jwt_secret", "service_key", "rasa_token"])
def test_production_refuses_to_start_with_a_secret_shorter_than_32_bytes(api_env, name):
    from api.main import create_app, create_internal_app
    from api.settings import Settings

    for build in (create_app, create_internal_app):
        with pytest.raises(RuntimeError, match=f"needs {name.upper()} set to random secrets "
                                               "of at least 32 bytes"):
            build(Settings(cadence_env="production", **{name: "x" * 31}))
        # Bytes, not characters: 16 two-byte letters are enough.
        build(Settings(cadence_env="production", **{name: "ü" * 16}))


def test_development_still_accepts_short_secrets(make_client, make_internal):
    make_client(service_key="dev", rasa_token="dev")
    assert make_internal(service_key="dev").get("/healthz").status_code == 200


def test_the_internal_app_accepts_the_service_key_and_refuses_a_wrong_one_with_401(
    internal, alice
):
    path = f"{INTERNAL}/users/{alice.user_id}/checkins"
    assert internal.get(path, headers=SERVICE).status_code == 200
    for headers in ({}, {"X-Service-Key": "wrong"}, {"X-Service-Key": SERVICE_KEY[:-1]}):
        response = internal.get(path, headers=headers)
        assert response.status_code == 401
        assert response.json() == {"detail": "Invalid service key"}


def test_a_wrong_service_key_is_logged_with_the_address_and_route_template_only(
    internal, alice, caplog
):
    wrong = "wrong-key-4c1f9e"
    with caplog.at_level(logging.DEBUG, logger="cadence"):
        internal.get(f"{INTERNAL}/users/{alice.user_id}/insights", headers={"X-Service-Key": wrong})
        internal.get(f"{INTERNAL}/users/{alice.user_id}/insights", headers=SERVICE)
    [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert warning.name == "cadence.api.security"
    assert warning.getMessage() == (
        "wrong service key from testclient on GET /api/v1/internal/users/{user_id}/insights"
    )
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in (wrong, SERVICE_KEY, alice.user_id):
        assert secret not in logged


def test_repeated_wrong_service_keys_get_429_from_that_address_even_with_the_right_key(
    make_internal, alice
):
    internal = make_internal(rate_limit_service_key_failures="3/minute")
    path = f"{INTERNAL}/users/{alice.user_id}/checkins"
    # Right keys are never counted.
    for _ in range(10):
        assert internal.get(path, headers=SERVICE).status_code == 200
    for _ in range(3):
        assert internal.get(path, headers={"X-Service-Key": "guess"}).status_code == 401
    for headers in ({"X-Service-Key": "guess"}, SERVICE):
        response = internal.get(path, headers=headers)
        assert response.status_code == 429
        assert 0 < int(response.headers["Retry-After"]) <= 60
        assert "wrong service keys" in response.json()["detail"]
    # Throttled per address: the action server elsewhere carries on.
    elsewhere = TestClient(internal.app, client=("10.0.0.7", 40000))
    assert elsewhere.get(path, headers=SERVICE).status_code == 200


def test_the_internal_listener_binds_loopback_port_8001_without_proxy_headers(
    api_env, monkeypatch
):
    import importlib

    import uvicorn

    from api.settings import get_settings

    served: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.update(options, app=app))
    get_settings.cache_clear()
    try:
        module = importlib.import_module("api.internal_main")
        module = importlib.reload(module)  # built from this test's environment
        module.main()
    finally:
        get_settings.cache_clear()
    assert served["app"] is module.app
    assert (served["host"], served["port"], served["proxy_headers"]) == ("127.0.0.1", 8001, False)
    assert f"{INTERNAL}/checkins" in module.app.openapi()["paths"]

"""Sessions and bearer-token authentication."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging

import jwt
import pytest

from tests.api.conftest import JWT_SECRET, start_session

CHAT = "/api/v1/chat"


def test_session_issues_hs256_token_for_new_anonymous_user(client):
    response = client.post("/api/v1/sessions")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"user_id", "token"}
    assert jwt.get_unverified_header(body["token"])["alg"] == "HS256"
    claims = jwt.decode(body["token"], JWT_SECRET, algorithms=["HS256"])
    assert claims["sub"] == body["user_id"]
    lifetime = dt.timedelta(seconds=claims["exp"] - claims["iat"])
    assert lifetime == dt.timedelta(days=30)


def test_token_lifetime_is_configurable(make_client):
    client = make_client(token_ttl_days=1)
    claims = jwt.decode(start_session(client).token, JWT_SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 86400


def test_each_session_is_a_different_user(client):
    assert start_session(client).user_id != start_session(client).user_id


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(user_id: str, **changes) -> dict:
    now = dt.datetime.now(dt.timezone.utc)
    claims = {"sub": user_id, "iat": now, "exp": now + dt.timedelta(hours=1)}
    claims.update(changes)
    return claims


def _bad_tokens(user_id: str, good: str) -> dict[str, str]:
    header, payload, signature = good.split(".")
    now = dt.datetime.now(dt.timezone.utc)
    none_header = _b64({"alg": "none", "typ": "JWT"})
    forged_payload = _b64({"sub": "someone-else", "iat": 0, "exp": 9999999999})
    return {
        "tampered payload": f"{header}.{forged_payload}.{signature}",
        "tampered signature": f"{header}.{payload}.{signature[:-2]}AA",
        "expired": jwt.encode(
            _claims(user_id, iat=now - dt.timedelta(days=2), exp=now - dt.timedelta(days=1)),
            JWT_SECRET,
            algorithm="HS256",
        ),
        "alg none": f"{none_header}.{_b64({'sub': user_id, 'iat': 0, 'exp': 9999999999})}.",
        "other secret": jwt.encode(_claims(user_id), "not-the-secret-" * 3, algorithm="HS256"),
        "no exp": jwt.encode({"sub": user_id, "iat": now}, JWT_SECRET, algorithm="HS256"),
        "unknown user": jwt.encode(_claims("no-such-user"), JWT_SECRET, algorithm="HS256"),
        "garbage": "not.a.jwt",
    }


@pytest.mark.parametrize(
    "name",
    [
        "tampered payload",
        "tampered signature",
        "expired",
        "alg none",
        "other secret",
        "no exp",
        "unknown user",
        "garbage",
    ],
)
def test_bad_tokens_get_401_with_www_authenticate(client, alice, rasa, name):
    token = _bad_tokens(alice.user_id, alice.token)[name]
    for method, path, body in [
        ("POST", CHAT, {"message": "hi"}),
        ("GET", "/api/v1/me/conversation", None),
        ("GET", "/api/v1/me/checkins", None),
    ]:
        response = client.request(
            method, path, json=body, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401, (name, path)
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert rasa.received == []


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer"}]
)
def test_missing_token_gets_401(client, rasa, headers):
    response = client.post(CHAT, json={"message": "hi"}, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert rasa.received == []


def test_valid_token_is_accepted(client, alice):
    assert client.post(CHAT, json={"message": "hi"}, headers=alice.headers).status_code == 200


def test_production_refuses_to_start_without_secrets(monkeypatch):
    from api.main import create_app
    from api.settings import Settings

    for name in ("JWT_SECRET", "SERVICE_KEY", "RASA_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError, match="JWT_SECRET, SERVICE_KEY, RASA_TOKEN"):
        create_app(Settings(cadence_env="production"))
    with pytest.raises(RuntimeError, match="RASA_TOKEN"):
        create_app(
            Settings(cadence_env="production", jwt_secret="a", service_key="b", rasa_token="")
        )


def test_development_generates_missing_secrets_without_logging_them(monkeypatch, caplog):
    from api.settings import Settings

    monkeypatch.delenv("JWT_SECRET", raising=False)
    with caplog.at_level(logging.WARNING, logger="cadence"):
        settings = Settings(cadence_env="development", jwt_secret=None).with_secrets()
    secret = settings.jwt_secret.get_secret_value()
    assert len(secret) >= 32
    assert "JWT_SECRET" in caplog.text
    assert secret not in caplog.text

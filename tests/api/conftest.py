"""Fixtures: a migrated temporary SQLite database, a fake Rasa at the HTTP layer, the app.

Rasa is an external dependency, so it is answered through httpx.MockTransport injected
into the app's shared client; none of the API's own code is mocked.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient

REPO_ROOT = Path(__file__).resolve().parents[2]
JWT_SECRET = "test-jwt-secret-0123456789abcdef0123456789"
SERVICE_KEY = "test-service-key"

Reply = Callable[[dict[str, Any]], list[dict[str, Any]]]


def migrate(url: str) -> None:
    config = Config(str(REPO_ROOT / "api" / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run `alembic upgrade head` once; each test gets a copy of the result."""
    path = tmp_path_factory.mktemp("template") / "cadence.db"
    migrate(f"sqlite:///{path}")
    return path


def echo(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"recipient_id": body["sender"], "text": f"echo: {body['message']}"}]


@dataclass
class FakeRasa:
    """Rasa's REST channel as seen over HTTP, with switches for outages."""

    reply: Reply = echo
    down: bool = False
    status_code: int = 200
    received: list[dict[str, Any]] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    down_hosts: set[str] = field(default_factory=set)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down or request.url.host in self.down_hosts:
            raise httpx.ConnectError("connection refused", request=request)
        if request.method == "GET" and request.url.path == "/":
            return httpx.Response(200, text="Hello from Rasa: 3.6.21")
        assert request.url.path == "/webhooks/rest/webhook"
        body = json.loads(request.content)
        self.received.append(body)
        self.hosts.append(request.url.host)
        if self.status_code != 200:
            return httpx.Response(self.status_code, json={"error": "boom"})
        return httpx.Response(200, json=self.reply(body))


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
def api_env(
    tmp_path: Path, migrated_template: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    db = tmp_path / "cadence.db"
    shutil.copy(migrated_template, db)
    web = tmp_path / "web"
    web.mkdir()
    (web / "index.html").write_text("<!doctype html><title>Cadence</title>")
    env = {
        "CADENCE_ENV": "development",
        "CADENCE_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{db}",
        "TRACKER_STORE_URL": f"sqlite:///{tmp_path / 'tracker.db'}",
        "JWT_SECRET": JWT_SECRET,
        "SERVICE_KEY": SERVICE_KEY,
        "RASA_TOKEN": "test-rasa-token",
        "RASA_URLS": "http://rasa-a:5005,http://rasa-b:5005",
        "WEB_DIR": str(web),
        "RATE_LIMIT_CHAT": "1000/minute",
        "RATE_LIMIT_SESSIONS": "1000/minute",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def make_client(api_env: dict[str, str], rasa: FakeRasa) -> Iterator[Callable[..., TestClient]]:
    """Build the app from the environment (plus overrides) and start its lifespan."""
    from api.main import create_app
    from api.settings import Settings

    opened: list[TestClient] = []

    def build(**overrides: Any) -> TestClient:
        settings = Settings(**overrides)
        client = TestClient(create_app(settings, rasa_transport=httpx.MockTransport(rasa.handle)))
        client.__enter__()
        opened.append(client)
        return client

    yield build
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


@dataclass
class Person:
    user_id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def start_session(client: TestClient) -> Person:
    response = client.post("/api/v1/sessions")
    assert response.status_code == 201, response.text
    return Person(**response.json())


@pytest.fixture
def alice(client: TestClient) -> Person:
    return start_session(client)


@pytest.fixture
def bob(client: TestClient) -> Person:
    return start_session(client)


SERVICE = {"X-Service-Key": SERVICE_KEY}


def checkin_body(user_id: str, key: str = "k1", **values: Any) -> dict[str, Any]:
    body = {
        "user_id": user_id,
        "idempotency_key": key,
        "pain": 5,
        "fatigue": 6,
        "sleep_quality": 4,
        "stress": 3,
    }
    body.update(values)
    return body

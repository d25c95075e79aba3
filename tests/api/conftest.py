"""Fixtures: a migrated temporary SQLite database, a fake Rasa at the HTTP layer, the two
apps (public: `client`; internal, the action server's: `internal`) on that database.

Rasa is an external dependency, so it is answered through httpx.MockTransport injected
into the app's shared client; none of the API's own code is mocked.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import shutil
import threading
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient

REPO_ROOT = Path(__file__).resolve().parents[2]
JWT_SECRET = "test-jwt-secret-0123456789abcdef0123456789"
# At least 32 bytes each, as production requires, so a test may switch CADENCE_ENV.
SERVICE_KEY = "test-service-key-0123456789abcdef"
RASA_TOKEN = "test-rasa-token-0123456789abcdef"

Reply = Callable[[dict[str, Any]], list[dict[str, Any]]]


def migrate(url: str) -> None:
    config = Config(str(REPO_ROOT / "api" / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # configparser escaping
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


# Set to an admin URL (e.g. postgresql://postgres@/postgres?host=/tmp&port=5432) to run
# the whole suite on PostgreSQL: each test then gets its own database cloned from a
# migrated template. Unset, tests use SQLite files.
POSTGRES_ADMIN_URL = os.environ.get("CADENCE_TEST_POSTGRES_URL")


def _postgres_admin():
    from sqlalchemy import create_engine

    from api.db import normalise_url

    return create_engine(normalise_url(POSTGRES_ADMIN_URL), isolation_level="AUTOCOMMIT")


def _postgres_url(database: str) -> str:
    from sqlalchemy.engine import make_url

    from api.db import normalise_url

    url = make_url(normalise_url(POSTGRES_ADMIN_URL)).set(database=database)
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path | str:
    """Run `alembic upgrade head` once; each test gets a copy of the result."""
    if POSTGRES_ADMIN_URL:
        from sqlalchemy import text

        admin = _postgres_admin()
        with admin.connect() as connection:
            connection.execute(text("DROP DATABASE IF EXISTS cadence_test_template"))
            connection.execute(text("CREATE DATABASE cadence_test_template"))
        admin.dispose()
        migrate(_postgres_url("cadence_test_template"))
        return "cadence_test_template"
    path = tmp_path_factory.mktemp("template") / "cadence.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def database_url(tmp_path: Path, migrated_template: Path | str) -> Iterator[str]:
    if not POSTGRES_ADMIN_URL:
        db = tmp_path / "cadence.db"
        shutil.copy(migrated_template, db)
        yield f"sqlite:///{db}"
        return
    from sqlalchemy import text

    name = f"cadence_test_{uuid.uuid4().hex[:12]}"
    admin = _postgres_admin()
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name} TEMPLATE {migrated_template}"))
    yield _postgres_url(name)
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def echo(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"recipient_id": body["sender"], "text": f"echo: {body['message']}"}]


# The shape of Rasa 3.6's SQLTrackerStore table (rasa/core/tracker_store.py, SQLEvent).
EVENTS_DDL = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    sender_id VARCHAR(255) NOT NULL,
    type_name VARCHAR(255) NOT NULL,
    timestamp FLOAT,
    intent_name VARCHAR(255),
    action_name VARCHAR(255),
    data TEXT
)
"""


@dataclass
class FakeRasa:
    """Rasa's gateway channel (bot/channels.py) as seen over HTTP, with switches for
    outages. Like the real channel, it answers 401 to a call without `token`.

    With `tracker_store_url` set it also keeps each conversation in a SQL tracker store
    the way Rasa 3.6's SQLTrackerStore does: it loads the sender's events when a message
    arrives and, before answering, appends every event of its tracker beyond the number
    then stored (so events deleted mid-turn come back). `hold` is awaited in between:
    Rasa's processing time, for tests that need something to happen during a turn. Like
    Rasa's lock store, it handles one sender's messages one at a time, in order.
    """

    reply: Reply = echo
    down: bool = False
    status_code: int = 200
    received: list[dict[str, Any]] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    down_hosts: set[str] = field(default_factory=set)
    tracker_store_url: str | None = None
    hold: Callable[[], Awaitable[None]] | None = None
    loaded: list[list[tuple[str, str]]] = field(default_factory=list)  # per turn, as found
    token: str = RASA_TOKEN
    _turns: dict[str, asyncio.Lock] = field(default_factory=lambda: defaultdict(asyncio.Lock))

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down or request.url.host in self.down_hosts:
            raise httpx.ConnectError("connection refused", request=request)
        if request.method == "GET" and request.url.path == "/":
            return httpx.Response(200, text="Hello from Rasa: 3.6.21")
        assert request.url.path == "/webhooks/gateway/webhook"
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return httpx.Response(401, json={"error": "unauthorised"})
        body = json.loads(request.content)
        self.received.append(body)
        self.hosts.append(request.url.host)
        async with self._turns[body["sender"]]:
            tracker = self._load(body["sender"])
            if self.hold is not None:
                await self.hold()
            if self.status_code != 200:
                return httpx.Response(self.status_code, json={"error": "boom"})
            reply = self.reply(body)
            tracker.append(("user", json.dumps({"text": body["message"]})))
            tracker += [("bot", json.dumps(message)) for message in reply]
            self._save(body["sender"], tracker)
        return httpx.Response(200, json=reply)

    def hold_until(self, release: threading.Event) -> threading.Event:
        """Hold every turn, once its tracker is loaded, until `release` is set; the event
        returned is set when a turn is being held."""
        arrived = threading.Event()

        async def until_released() -> None:
            arrived.set()
            await anyio.to_thread.run_sync(release.wait, abandon_on_cancel=True)

        self.hold = until_released
        return arrived

    def _load(self, sender: str) -> list[tuple[str, str]]:
        if self.tracker_store_url is None:
            return []
        from sqlalchemy import create_engine, text

        engine = create_engine(self.tracker_store_url)
        with engine.begin() as connection:
            connection.execute(text(EVENTS_DDL))
            rows = connection.execute(
                text("SELECT type_name, data FROM events WHERE sender_id = :s ORDER BY id"),
                {"s": sender},
            )
            events = [(kind, data) for kind, data in rows]
        engine.dispose()
        self.loaded.append(list(events))
        return events

    def _save(self, sender: str, tracker: list[tuple[str, str]]) -> None:
        if self.tracker_store_url is None:
            return
        from sqlalchemy import create_engine, text

        engine = create_engine(self.tracker_store_url)
        with engine.begin() as connection:
            connection.execute(text(EVENTS_DDL))
            stored = connection.execute(
                text("SELECT COUNT(*) FROM events WHERE sender_id = :s"), {"s": sender}
            ).scalar_one()
            for kind, data in tracker[stored:]:
                connection.execute(
                    text(
                        "INSERT INTO events (sender_id, type_name, timestamp, data) "
                        "VALUES (:s, :t, 0, :d)"
                    ),
                    {"s": sender, "t": kind, "d": data},
                )
        engine.dispose()


def tracker_events(url: str, sender: str) -> list[tuple[int, str, str]]:
    """(id, type_name, data) of the sender's events in a SQL tracker store, oldest first."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url)
    with engine.connect() as connection:
        if not inspect(connection).has_table("events"):
            return []
        rows = connection.execute(
            text("SELECT id, type_name, data FROM events WHERE sender_id = :s ORDER BY id"),
            {"s": sender},
        )
        events = [(id_, kind, data) for id_, kind, data in rows]
    engine.dispose()
    return events


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
def api_env(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    web = tmp_path / "web"
    web.mkdir()
    (web / "index.html").write_text("<!doctype html><title>Cadence</title>")
    env = {
        "CADENCE_ENV": "development",
        "CADENCE_DATA_DIR": str(tmp_path),
        "DATABASE_URL": database_url,
        "TRACKER_STORE_URL": f"sqlite:///{tmp_path / 'tracker.db'}",
        "JWT_SECRET": JWT_SECRET,
        "SERVICE_KEY": SERVICE_KEY,
        "RASA_TOKEN": RASA_TOKEN,
        "RASA_URLS": "http://rasa-a:5005,http://rasa-b:5005",
        "WEB_DIR": str(web),
        # Tests that are about a limit set it low themselves.
        "RATE_LIMIT_CHAT": "1000/minute",
        "RATE_LIMIT_CHAT_PER_ADDRESS": "10000/minute",
        "RATE_LIMIT_SESSIONS": "1000/minute",
        "RATE_LIMIT_START_OVER": "1000/minute",
        "RATE_LIMIT_EXPORT": "1000/minute",
        "RATE_LIMIT_EXPORT_PER_ADDRESS": "10000/minute",
        "RATE_LIMIT_INSIGHTS": "1000/minute",
        "RATE_LIMIT_INSIGHTS_PER_ADDRESS": "10000/minute",
        # Tests run the retention job themselves, on a fake clock.
        "CADENCE_RETENTION_INTERVAL_HOURS": "0",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@dataclass
class FakeClock:
    """The app's notion of "now", moved by the test instead of by sleeping."""

    now: dt.datetime = dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.timezone.utc)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def start_app() -> Iterator[Callable[[Any], TestClient]]:
    """Start an app's lifespan behind a TestClient; every one started is stopped at the end."""
    with contextlib.ExitStack() as started:
        yield lambda app: started.enter_context(TestClient(app))


@pytest.fixture
def make_client(
    api_env: dict[str, str], rasa: FakeRasa, start_app: Callable[[Any], TestClient]
) -> Callable[..., TestClient]:
    """Build the app from the environment (plus overrides) and start its lifespan."""
    from api.main import create_app
    from api.settings import Settings

    def build(
        *, clock: FakeClock | None = None, behind_proxy: bool = False, **overrides: Any
    ) -> TestClient:
        """`behind_proxy`: the app trusts the test client's X-Forwarded-For, as uvicorn
        does a proxy listed in FORWARDED_ALLOW_IPS, so a test can speak from any address."""
        settings = Settings(**overrides)
        extra = {"clock": clock} if clock is not None else {}
        app = create_app(settings, rasa_transport=httpx.MockTransport(rasa.handle), **extra)
        if behind_proxy:
            from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

            app = ProxyHeadersMiddleware(app, trusted_hosts="testclient")
        return start_app(app)

    return build


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


@pytest.fixture
def make_internal(
    api_env: dict[str, str], start_app: Callable[[Any], TestClient]
) -> Callable[..., TestClient]:
    """Build the internal app from the same environment (plus overrides) and start it."""
    from api.main import create_internal_app
    from api.settings import Settings

    def build(**overrides: Any) -> TestClient:
        return start_app(create_internal_app(Settings(**overrides)))

    return build


@pytest.fixture
def internal(make_internal: Callable[..., TestClient]) -> TestClient:
    """The action server's side: /api/v1/internal/* with the service key, same database."""
    return make_internal()


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

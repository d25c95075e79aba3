"""Start the real Cadence processes for tests: the API's two listeners (public and
internal), Rasa and the action server.

Each process gets free loopback ports, fresh secrets and a temporary data directory, so a
test run never touches a developer's `make run` instance or data. The trained model in
models/ is used as is (make test trains it once before pytest starts).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
BOT_PY = ROOT / ".venv" / "bin" / "python"
API_BIN = ROOT / ".venv-api" / "bin"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check, timeout: float, what: str, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}")
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(0.25)
    raise TimeoutError(f"{what} not ready after {timeout:.0f}s")


@dataclass
class Process:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    ready_url: str = ""
    ready_check: Callable[[requests.Response], bool] = lambda response: response.ok
    ready_headers: dict[str, str] = field(default_factory=dict)
    ready_timeout: float = 60
    popen: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - lives as long as the process
        self.popen = subprocess.Popen(
            self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self, timeout: float = 15) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.terminate()
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()

    def wait_ready(self) -> None:
        wait_until(lambda: self.ready_check(requests.get(self.ready_url, timeout=2,
                                                         headers=self.ready_headers)),
                   self.ready_timeout, self.name, self.popen)

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None


@dataclass
class Stack:
    """The processes wired together, as `make run` does, on private ports."""

    data_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="cadence-")))
    api_port: int = field(default_factory=free_port)
    # The action server talks to the internal listener (its own process, same database),
    # as `make run` does; the fault tests take it down while users can still chat.
    internal_api_port: int = field(default_factory=free_port)
    rasa_port: int = field(default_factory=free_port)
    actions_port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, Process] = field(default_factory=dict)
    secrets: dict[str, str] = field(
        default_factory=lambda: {
            # A leading "-" on purpose: URL-safe tokens start with one 1 time in 64, and
            # every run should prove that they are passed safely.
            name: "-" + secrets.token_urlsafe(32)
            for name in ("JWT_SECRET", "SERVICE_KEY", "RASA_TOKEN", "ACTIONS_TOKEN")
        }
    )

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def internal_api_url(self) -> str:
        return f"http://127.0.0.1:{self.internal_api_port}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.actions_port}"

    @property
    def tracker_db(self) -> Path:
        return self.data_dir / "tracker.db"

    @property
    def api_db(self) -> Path:
        return self.data_dir / "cadence.db"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VIRTUAL_ENV")}
        env.update(
            CADENCE_ENV="development",
            CADENCE_DATA_DIR=str(self.data_dir),
            DATABASE_URL=f"sqlite:///{self.api_db}",
            TRACKER_STORE_URL=f"sqlite:///{self.tracker_db}",
            **self.secrets,
            RASA_URLS=self.rasa_url,
            API_URL=self.internal_api_url,
            ACTIONS_URL=f"{self.actions_url}/webhook",
            ACTIONS_PORT=str(self.actions_port),
            OUTBOX_RETRY_S="1",
            # The suites send hundreds of messages from one address on purpose.
            RATE_LIMIT_CHAT="100000/minute",
            RATE_LIMIT_CHAT_PER_ADDRESS="100000/minute",
            RATE_LIMIT_SESSIONS="100000/minute",
            RATE_LIMIT_START_OVER="100000/minute",
            RATE_LIMIT_EXPORT="100000/minute",
            RATE_LIMIT_EXPORT_PER_ADDRESS="100000/minute",
            RATE_LIMIT_INSIGHTS="100000/minute",
            RATE_LIMIT_INSIGHTS_PER_ADDRESS="100000/minute",
            PYTHONPATH=str(ROOT),
            TF_CPP_MIN_LOG_LEVEL="2",
            RASA_TELEMETRY_ENABLED="false",
        )
        env.update(self.extra_env)
        return env

    # --- process factories (also used by the scaled topology) --------------------------
    def write_endpoints(self, name: str, env: dict[str, str]) -> Path:
        path = self.data_dir / f"endpoints-{name}.yml"
        subprocess.run(
            [str(BOT_PY), "-m", "bot.endpoints", str(path)], cwd=ROOT, env=env,
            check=True, capture_output=True,
        )
        return path

    def api_process(self, name: str, port: int, env: dict[str, str]) -> Process:
        argv = [str(API_BIN / "uvicorn"), "api.main:app", "--host", "127.0.0.1",
                "--port", str(port), "--no-access-log"]
        return Process(name, argv, env, self.data_dir / f"{name}.log",
                       ready_url=f"http://127.0.0.1:{port}/healthz")

    def internal_api_process(self, name: str, port: int, env: dict[str, str]) -> Process:
        """The internal listener (the action server's routes), started as the Procfile does,
        on its default host (loopback: tests/e2e/test_security.py checks it)."""
        env = {**env, "INTERNAL_API_PORT": str(port)}
        return Process(name, [str(API_BIN / "python"), "-m", "api.internal_main"], env,
                       self.data_dir / f"{name}.log", ready_url=f"http://127.0.0.1:{port}/healthz")

    def actions_process(self, name: str, port: int, env: dict[str, str]) -> Process:
        env = {**env, "ACTIONS_PORT": str(port)}
        return Process(name, [str(BOT_PY), "-m", "actions.server"], env,
                       self.data_dir / f"{name}.log",
                       ready_url=f"http://127.0.0.1:{port}/health")

    def rasa_process(self, name: str, port: int, env: dict[str, str]) -> Process:
        """Rasa as the Procfile starts it: the gateway channel only (no HTTP API), its
        token from the environment, never on the command line."""
        endpoints = self.write_endpoints(name, env)
        argv = [str(BOT_PY), "-m", "bot.serve", "run", "--model", str(ROOT / "models"),
                "--endpoints", str(endpoints), "--credentials", "bot/credentials.yml",
                "--interface", "127.0.0.1", "--port", str(port)]
        # Rasa answers HTTP before its model is loaded: ready = the channel says so.
        return Process(name, argv, env, self.data_dir / f"{name}.log",
                       ready_url=f"http://127.0.0.1:{port}/webhooks/gateway/ready",
                       ready_headers={"Authorization": f"Bearer {env['RASA_TOKEN']}"},
                       ready_timeout=180)

    def define(self) -> None:
        """The embedded topology: one of each, the API's internal listener included."""
        env = self.env()
        self.processes = {
            "api": self.api_process("api", self.api_port, env),
            "api_internal": self.internal_api_process(
                "api_internal", self.internal_api_port, env
            ),
            "actions": self.actions_process("actions", self.actions_port, env),
            "rasa": self.rasa_process("rasa", self.rasa_port, env),
        }

    def migrate(self) -> None:
        subprocess.run(
            [str(API_BIN / "alembic"), "-c", "api/alembic.ini", "upgrade", "head"],
            cwd=ROOT, env=self.env(), check=True, capture_output=True,
        )

    def start(self) -> Stack:
        self.define()
        self.migrate()
        for process in self.processes.values():
            process.start()
        for process in self.processes.values():
            process.wait_ready()
        # A public listener's readiness includes Rasa (the internal one never talks to it).
        first_api = next(p for name, p in self.processes.items()
                         if name.startswith("api") and name != "api_internal")
        wait_until(lambda: requests.get(first_api.ready_url.replace("healthz", "readyz"),
                                        timeout=5).ok, 30, "readyz")
        return self

    def start_api_only(self) -> Stack:
        """Just the API's two listeners on a fresh database: enough for action tests."""
        self.define()
        self.migrate()
        listeners = [self.processes["api"], self.processes["api_internal"]]
        for process in listeners:
            process.start()
        for process in listeners:
            process.wait_ready()
        return self

    def restart(self, name: str) -> None:
        self.processes[name].stop()
        self.processes[name].start()
        self.processes[name].wait_ready()

    def tracker_events(self, sender_id: str) -> list[dict]:
        """The sender's events as Rasa stored them (Rasa serves no HTTP API to ask it)."""
        if not self.tracker_db.exists():
            return []
        with closing(sqlite3.connect(self.tracker_db)) as connection:
            rows = connection.execute(
                "SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender_id,)
            )
            return [json.loads(data) for (data,) in rows]

    def env_value(self, name: str) -> str:
        return self.env()[name]

    def stop(self, keep_data: bool = False) -> None:
        for process in self.processes.values():
            process.stop()
        if not keep_data:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def logs(self, name: str) -> str:
        path = self.data_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


class ChatClient:
    """Talks to the API exactly as the widget does."""

    def __init__(self, api_url: str, metadata: dict | None = None) -> None:
        self.api_url = api_url
        self.metadata = metadata or {"locale": "en-GB", "timezone": "Europe/London"}
        self.http = requests.Session()
        response = self.http.post(f"{api_url}/api/v1/sessions", timeout=10)
        response.raise_for_status()
        body = response.json()
        self.user_id: str = body["user_id"]
        self.token: str = body["token"]
        self.http.headers["Authorization"] = f"Bearer {self.token}"
        self.last: list[dict] = []

    def _send(self, body: dict) -> list[dict]:
        response = self.http.post(
            f"{self.api_url}/api/v1/chat", json={**body, "metadata": self.metadata}, timeout=60
        )
        response.raise_for_status()
        self.last = response.json()["messages"]
        return self.last

    def say(self, text: str) -> list[dict]:
        return self._send({"message": text})

    def click(self, payload: str) -> list[dict]:
        return self._send({"payload": payload})

    def click_title(self, title: str) -> list[dict]:
        """Tap the button with this title in the bot's last turn."""
        return self._click_first_where(lambda b: b["title"] == title, f"titled {title!r}")

    def click_first(self, payload_prefix: str) -> list[dict]:
        """Tap the first button in the bot's last turn whose payload starts so."""
        return self._click_first_where(
            lambda b: b["payload"].startswith(payload_prefix), f"with a {payload_prefix!r} payload"
        )

    def _click_first_where(self, wanted: Callable[[dict], bool], what: str) -> list[dict]:
        for message in self.last:
            for button in message.get("buttons") or []:
                if wanted(button):
                    return self.click(button["payload"])
        raise AssertionError(f"no button {what} in {self.last!r}")

    def text(self) -> str:
        return "\n".join(m.get("text", "") for m in self.last)

    def get(self, path: str) -> requests.Response:
        return self.http.get(f"{self.api_url}{path}", timeout=30)


__all__ = ["ChatClient", "ROOT", "Stack"]

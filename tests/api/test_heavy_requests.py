"""Exports and insights in bounded slots: a flood of them from one token neither starves
other people's requests nor hangs (#21, finding 5).

The flood test runs the app in a real uvicorn server in its own process, as deployed: the
thread pool, the event loop, the GIL and the sockets are the ones a real flood would fill.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from api.models import Checkin, utcnow
from tests.api.conftest import REPO_ROOT, SERVICE, Person, checkin_body

EXPORTS = 200
# Generous: the issue asks that a new session never waits more than a second.
NEW_SESSION_WITHIN_S = 1.0
REQUEST_TIMEOUT_S = 60


def _refused_politely(response: httpx.Response) -> bool:
    return (
        response.status_code in (429, 503)
        and int(response.headers["Retry-After"]) >= 1
        and "try again" in response.json()["detail"]
    )


def test_a_token_already_holding_its_slot_gets_429_at_once():
    from api.workslots import WorkSlots

    async def scenario() -> None:
        slots = WorkSlots(total=4, per_token=1, wait_seconds=5)
        async with slots.slot("alice"):
            started = time.perf_counter()
            with pytest.raises(Exception) as refused:
                async with slots.slot("alice"):
                    pass
            assert time.perf_counter() - started < 0.5
            assert refused.value.status_code == 429
            assert refused.value.headers["Retry-After"] == "5"
            async with slots.slot("bob"):  # other people are not affected
                pass
        async with slots.slot("alice"):  # and the slot is given back
            pass

    asyncio.run(scenario())


def test_when_every_slot_is_busy_a_request_waits_briefly_then_gets_503():
    from api.workslots import WorkSlots

    async def scenario() -> None:
        slots = WorkSlots(total=1, per_token=1, wait_seconds=0.2)
        async with slots.slot("alice"):
            started = time.perf_counter()
            with pytest.raises(Exception) as refused:
                async with slots.slot("bob"):
                    pass
            assert 0.15 < time.perf_counter() - started < 1
            assert refused.value.status_code == 503
            assert refused.value.headers["Retry-After"] == "1"
        async with slots.slot("bob"):
            pass

    asyncio.run(scenario())


class Server:
    """`uvicorn api.main:app` in a process of its own, as deployed, on a socket the OS
    chose (handed over with --fd, so no other process can take the port in between)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "api.main:app",
                "--no-access-log",
                "--log-level",
                "warning",
                "--fd",
                str(self.socket.fileno()),
            ],
            cwd=REPO_ROOT,
            env=env,
            pass_fds=[self.socket.fileno()],
        )

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, "uvicorn exited"
            assert time.monotonic() < deadline, "uvicorn did not start"
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)

    def __exit__(self, *_: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.socket.close()


@pytest.fixture
def serve(api_env: dict[str, str]) -> Iterator:
    servers: list[Server] = []

    def start(**overrides: object) -> Server:
        # The shipped limits (the test environment lifts them), but for `overrides`.
        env = {k: v for k, v in os.environ.items() if not k.startswith("RATE_LIMIT_")}
        env.update({name.upper(): str(value) for name, value in overrides.items()})
        server = Server(env).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__()


def _seed_a_year(user_id: str, sessionmaker) -> None:  # noqa: ANN001
    today = dt.datetime.now(dt.timezone.utc).date()
    with sessionmaker() as db:
        for i in range(365):
            db.add(
                Checkin(
                    user_id=user_id,
                    idempotency_key=f"y{i}",
                    created_at=utcnow(),
                    local_date=today - dt.timedelta(days=i),
                    pain=i % 11,
                    fatigue=(i * 7) % 11,
                    sleep_quality=(i * 3) % 11,
                    stress=(i * 5) % 11,
                )
            )
        db.commit()


# Another person, on another machine: a process of its own, so the flood's client does not
# share its GIL. Prints the seconds each of a few new sessions took, 0.2 s apart.
NEWCOMER = """
import json, sys, time, httpx
waits = []
with httpx.Client(base_url=sys.argv[1], timeout=float(sys.argv[2])) as newcomer:
    for _ in range(3):
        started = time.perf_counter()
        newcomer.post("/api/v1/sessions").raise_for_status()
        waits.append(time.perf_counter() - started)
        time.sleep(0.2)
print(json.dumps(waits))
"""


async def _time_new_sessions(url: str) -> list[float]:
    newcomer = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        NEWCOMER,
        url,
        str(REQUEST_TIMEOUT_S),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await newcomer.communicate()
    assert newcomer.returncode == 0, "a new session failed"
    return json.loads(out)


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({}, id="default-limits"),
        # Limits out of the way: only the work slots stand between the flood and the rest.
        pytest.param(
            {
                "rate_limit_export": "100000/minute",
                "rate_limit_export_per_address": "100000/minute",
                "heavy_work_slots_per_token": EXPORTS,
            },
            id="slots-only",
        ),
    ],
)
def test_two_hundred_parallel_pdf_exports_from_one_token_starve_nobody(serve, internal, overrides):
    server = serve(**overrides)
    with httpx.Client(base_url=server.url, timeout=REQUEST_TIMEOUT_S) as http:
        alice = Person(**http.post("/api/v1/sessions").json())
        bob = Person(**http.post("/api/v1/sessions").json())
    _seed_a_year(alice.user_id, internal.app.state.sessionmaker)

    async def flood() -> tuple[list, list[float], int, httpx.Response]:
        limits = httpx.Limits(max_connections=EXPORTS + 10, max_keepalive_connections=EXPORTS)
        async with httpx.AsyncClient(
            base_url=server.url, timeout=REQUEST_TIMEOUT_S, limits=limits
        ) as attacker:
            exports = [
                asyncio.create_task(
                    attacker.get("/api/v1/me/export?format=pdf", headers=alice.headers)
                )
                for _ in range(EXPORTS)
            ]
            await asyncio.sleep(0.3)  # the flood is in
            pending = sum(not task.done() for task in exports)
            # Another user's check-in, saved by the action server through the internal app.
            checkin = asyncio.create_task(
                asyncio.to_thread(
                    internal.post,
                    "/api/v1/internal/checkins",
                    json=checkin_body(bob.user_id),
                    headers=SERVICE,
                )
            )
            waits = await _time_new_sessions(server.url)
            saved = await checkin
            results = await asyncio.gather(*exports, return_exceptions=True)
        return results, waits, pending, saved

    results, waits, pending, saved = asyncio.run(flood())

    assert saved.status_code == 201, saved.text
    stored = internal.get(f"/api/v1/internal/users/{bob.user_id}/checkins", headers=SERVICE)
    assert [row["pain"] for row in stored.json()] == [5]
    assert max(waits) < NEW_SESSION_WITHIN_S, f"new sessions waited {waits}"
    hung = [r for r in results if isinstance(r, Exception)]
    assert not hung, f"{len(hung)} exports got no answer: {hung[0]!r}"
    served = [r for r in results if r.status_code == 200]
    assert served and all(r.content.startswith(b"%PDF") for r in served)
    refused = [r for r in results if r.status_code != 200]
    assert all(_refused_politely(r) for r in refused), {r.status_code for r in refused}
    if overrides:
        assert pending > 0  # the sessions were measured while the flood was still there

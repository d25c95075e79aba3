"""The outbox flusher backs off while the API is down or busy, and resets once it is back."""

from __future__ import annotations

import dataclasses

import pytest
from aiohttp import web

from actions import api_client, outbox
from actions.server import FlushBackoff, flush_outbox_forever

CHECKIN = {"user_id": "u1", "idempotency_key": "k-backoff", "pain": 5, "fatigue": 6,
           "sleep_quality": 4, "stress": 3, "note": None, "locations": []}


def failing_rounds(backoff: FlushBackoff, rounds: int) -> list[float]:
    return [backoff.after_round(delivered=0, still_waiting=True) for _ in range(rounds)]


def test_the_wait_doubles_from_base_to_the_cap():
    backoff = FlushBackoff(5, 60, random_fraction=lambda: 0.0)
    assert failing_rounds(backoff, 7) == [5, 10, 20, 40, 60, 60, 60]


def test_a_delivery_or_an_empty_outbox_resets_the_wait():
    backoff = FlushBackoff(5, 60, random_fraction=lambda: 0.0)
    failing_rounds(backoff, 4)
    assert backoff.after_round(delivered=1, still_waiting=True) == 5  # partly through
    assert failing_rounds(backoff, 2) == [5, 10]
    assert backoff.after_round(delivered=0, still_waiting=False) == 5  # dropped or empty
    assert backoff.after_round(delivered=0, still_waiting=False) == 5  # idle ticks


def test_jitter_only_shortens_the_wait_and_never_below_base():
    backoff = FlushBackoff(5, 60, random_fraction=lambda: 1.0)
    assert failing_rounds(backoff, 6) == [5, 7.5, 15, 30, 45, 45]


def test_a_very_long_outage_stays_at_the_cap():
    backoff = FlushBackoff(1, 12, random_fraction=lambda: 0.0)
    assert failing_rounds(backoff, 2000)[-1] == 12


class Stop(Exception):
    pass


@pytest.fixture
async def busy_api(tmp_path, monkeypatch):
    """An API that answers 503 + Retry-After (database busy) until told it is back."""
    state = {"busy": True, "posts": 0}

    async def create(request: web.Request) -> web.Response:
        state["posts"] += 1
        if state["busy"]:
            return web.json_response({"detail": "The database is busy."}, status=503,
                                     headers={"Retry-After": "2"})
        return web.json_response({"id": 1, **await request.json()}, status=201)

    app = web.Application()
    app.router.add_post("/api/v1/internal/checkins", create)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    test_settings = dataclasses.replace(
        api_client.settings, api_url=f"http://127.0.0.1:{port}", service_key="k",
        data_dir=tmp_path,
    )
    monkeypatch.setattr(api_client, "settings", test_settings)
    monkeypatch.setattr(outbox, "settings", test_settings)
    yield state
    await runner.cleanup()


async def test_a_503_keeps_the_checkin_and_the_flusher_waits_longer_each_round(busy_api):
    outbox.put(CHECKIN)
    delays: list[float] = []
    queued: list[int] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)
        queued.append(len(outbox.pending()))
        if len(delays) == 4:
            busy_api["busy"] = False  # the database is free again
        if len(delays) == 6:
            raise Stop

    with pytest.raises(Stop):
        await flush_outbox_forever(FlushBackoff(5, 60, random_fraction=lambda: 0.0), sleep)

    # Four busy rounds back off; the fifth delivers and resets; the sixth finds nothing.
    assert delays == [5, 10, 20, 40, 5, 5]
    assert queued == [1, 1, 1, 1, 0, 0]  # kept through every 503, delivered once
    assert busy_api["posts"] == 5
    assert outbox.pending() == []

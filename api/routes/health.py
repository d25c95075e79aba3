"""Liveness and readiness for process managers and load balancers."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger("cadence.api.health")

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _database_answers(request: Request) -> bool:
    try:
        with request.app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        log.warning("readiness: database check failed")
        return False
    return True


class Readiness:
    """The last readiness answer, reused for `cache_seconds`: /readyz is public, and a
    check costs a database connection and a call to Rasa, so however often it is asked
    (and by however many callers at once) it checks at most once per period."""

    def __init__(self, cache_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._answer: tuple[float, int, dict] | None = None
        self._checking: asyncio.Lock | None = None  # made inside the running loop

    async def answer(self, check: Callable[[], Awaitable[tuple[int, dict]]]) -> tuple[int, dict]:
        if (cached := self._fresh()) is not None:
            return cached
        if self._checking is None:
            self._checking = asyncio.Lock()
        async with self._checking:  # callers arriving during a check wait for its answer
            if (cached := self._fresh()) is not None:
                return cached
            code, content = await check()
            self._answer = (self._clock(), code, content)
            return code, content

    def _fresh(self) -> tuple[int, dict] | None:
        if self._answer is None:
            return None
        at, code, content = self._answer
        return (code, content) if self._clock() - at < self._cache_seconds else None


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    code, content = await request.app.state.readiness.answer(lambda: _check(request))
    return JSONResponse(status_code=code, content=content)


async def _check(request: Request) -> tuple[int, dict]:
    checks = {
        "database": "ok" if await run_in_threadpool(_database_answers, request) else "failed",
    }
    rasa = getattr(request.app.state, "rasa", None)
    if rasa is not None:  # the internal app never talks to Rasa, so it does not wait for it
        checks["rasa"] = "ok" if await rasa.ready() else "failed"
    ready = all(value == "ok" for value in checks.values())
    return 200 if ready else 503, {"status": "ok" if ready else "unavailable", "checks": checks}

"""Liveness and readiness for process managers and load balancers."""

from __future__ import annotations

import logging

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


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    checks = {
        "database": "ok" if await run_in_threadpool(_database_answers, request) else "failed",
    }
    rasa = getattr(request.app.state, "rasa", None)
    if rasa is not None:  # the internal app never talks to Rasa, so it does not wait for it
        checks["rasa"] = "ok" if await rasa.ready() else "failed"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        status_code=200 if ready else 503,
        content={"status": "ok" if ready else "unavailable", "checks": checks},
    )

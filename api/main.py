"""Application factory: `uvicorn api.main:app` from the repository root."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import sessionmaker

from api.db import make_engine
from api.middleware import AccessLogMiddleware, BodySizeLimitMiddleware, SecurityHeadersMiddleware
from api.models import utcnow
from api.ratelimit import RateLimits
from api.routes import (
    chat,
    checkins,
    export,
    health,
    insights,
    internal,
    me,
    sessions,
    techniques,
    weekly,
)
from api.security import Clock
from api.services import retention
from api.services.rasa import RasaGateway
from api.settings import Settings, get_settings

log = logging.getLogger("cadence.api")


def _configure_logging() -> None:
    cadence = logging.getLogger("cadence")
    if not cadence.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        cadence.addHandler(handler)
        cadence.setLevel(logging.INFO)
        cadence.propagate = False
    # uvicorn's access log prints raw paths and queries (user ids); ours logs route
    # templates only, so uvicorn's is switched off rather than duplicated.
    logging.getLogger("uvicorn.access").disabled = True


def create_app(
    settings: Settings | None = None,
    *,
    rasa_transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock = utcnow,
) -> FastAPI:
    """Build the app. `rasa_transport` lets tests answer for Rasa at the HTTP layer, and
    `clock` lets them move time (token expiry, activity, retention)."""
    _configure_logging()
    settings = (settings or get_settings()).with_secrets()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url_resolved)
        tracker_engine = make_engine(settings.tracker_store_url_resolved)
        # One pooled client for the process: connection reuse to Rasa on every chat turn.
        async with httpx.AsyncClient(transport=rasa_transport) as client:
            app.state.engine = engine
            app.state.tracker_engine = tracker_engine
            app.state.sessionmaker = sessionmaker(engine, expire_on_commit=False)
            app.state.rasa = RasaGateway(
                client, settings.rasa_upstreams, settings.rasa_timeout_seconds
            )
            stop = threading.Event()
            job = _start_retention(app, settings, stop)
            try:
                yield
            finally:
                stop.set()  # a run in progress ends after the user it is erasing
                if job is not None:
                    job.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await job
                engine.dispose()
                tracker_engine.dispose()

    app = FastAPI(
        title="Cadence API",
        version="1.0.0",
        lifespan=lifespan,
        # The interactive docs load scripts from a CDN, which the CSP forbids anyway.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.rate_limits = RateLimits(settings)

    for router in (
        sessions.router,
        chat.router,
        me.router,
        checkins.router,
        weekly.router,
        insights.router,
        export.router,
        internal.router,
        techniques.router,
        health.router,
    ):
        app.include_router(router)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default echoes each bad `input` back: that can be a NaN (not JSON, so a
        # 500) or someone's health note. Location and reason are enough to fix a request.
        errors = [
            {
                "loc": list(error.get("loc", ())),
                "msg": error.get("msg", ""),
                "type": error.get("type", ""),
            }
            for error in exc.errors()
        ]
        return JSONResponse(status_code=422, content={"detail": errors})

    @app.exception_handler(Exception)
    async def unexpected_error(_request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled %s", type(exc).__name__)
        return JSONResponse(
            status_code=500, content={"detail": "Something went wrong on our side."}
        )

    # Added last = outermost: headers land even on 413s and errors.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(AccessLogMiddleware)
    app.add_middleware(
        SecurityHeadersMiddleware,
        frame_ancestors=settings.frame_ancestors,
        hsts=settings.cadence_env == "production",
    )
    # Outermost, so headers are set before compression; the widget shrinks to about a third.
    app.add_middleware(GZipMiddleware, minimum_size=1024)

    # Mounted after the API so "/" never shadows a route. The widget may not exist yet.
    if settings.web_dir.is_dir():
        app.mount("/", StaticFiles(directory=settings.web_dir, html=True), name="web")
    else:
        log.warning("web directory %s not found; the widget is not served", settings.web_dir)
    return app


def _start_retention(
    app: FastAPI, settings: Settings, stop: threading.Event
) -> asyncio.Task[None] | None:
    """Erase inactive users every CADENCE_RETENTION_INTERVAL_HOURS (0: cron's job instead)."""
    hours = settings.cadence_retention_interval_hours
    if hours <= 0:
        return None

    def run_once() -> int:
        return retention.run(
            app.state.sessionmaker,
            app.state.tracker_engine,
            app.state.clock(),
            settings.cadence_retention_days,
            stop,
        )

    return asyncio.create_task(retention.erase_inactive_periodically(run_once, hours))


app = create_app()

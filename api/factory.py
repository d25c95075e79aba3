"""The two apps, built from one set of settings by one factory.

- `create_app` (api.main, API_HOST:API_PORT, public): the widget, sessions, chat and the
  /me routes, each authenticated by the person's token.
- `create_internal_app` (api.internal_main, INTERNAL_API_HOST:INTERNAL_API_PORT, loopback
  by default): the action server's /api/v1/internal routes, which take a user id from the
  caller and trust the service key, so they are never served on the public port.

In production neither serves an OpenAPI document (nor, as ever, /docs).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
from fastapi import APIRouter, FastAPI, HTTPException, Request, status
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
from api.workslots import WorkSlots

log = logging.getLogger("cadence.api")

PUBLIC_ROUTERS = (
    sessions.router,
    chat.router,
    me.router,
    checkins.router,
    weekly.router,
    insights.router,
    export.router,
    health.router,
)
INTERNAL_ROUTERS = (internal.router, techniques.router, health.router)

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


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


@asynccontextmanager
async def _database(app: FastAPI, settings: Settings) -> AsyncIterator[None]:
    engine = make_engine(settings.database_url_resolved)
    app.state.engine = engine
    app.state.sessionmaker = sessionmaker(engine, expire_on_commit=False)
    try:
        yield
    finally:
        engine.dispose()


def create_app(
    settings: Settings | None = None,
    *,
    rasa_transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock = utcnow,
) -> FastAPI:
    """Build the public app. `rasa_transport` lets tests answer for Rasa at the HTTP layer,
    and `clock` lets them move time (token expiry, activity, retention)."""
    settings = _with_secrets(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # One pooled client for the process: connection reuse to Rasa on every chat turn.
        async with _database(app, settings), httpx.AsyncClient(transport=rasa_transport) as client:
            tracker_engine = make_engine(settings.tracker_store_url_resolved)
            app.state.tracker_engine = tracker_engine
            app.state.rasa = RasaGateway(
                client,
                settings.rasa_upstreams,
                settings.rasa_timeout_seconds,
                settings.rasa_token.get_secret_value(),  # set: _with_secrets saw to it
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
                tracker_engine.dispose()

    app = _build("Cadence API", settings, clock, lifespan, PUBLIC_ROUTERS)

    @app.api_route(
        f"{internal.router.prefix}/{{path:path}}",
        methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        include_in_schema=False,
    )
    async def internal_routes_are_not_here(path: str) -> None:
        # Without this, the widget's static files would answer a POST here with 405, as if
        # the route existed with other methods. It exists on the internal listener only.
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Not Found")

    # Outermost, so headers are set before compression; the widget shrinks to about a third.
    app.add_middleware(GZipMiddleware, minimum_size=1024)

    # Mounted after the API so "/" never shadows a route. The widget may not exist yet.
    if settings.web_dir.is_dir():
        app.mount("/", StaticFiles(directory=settings.web_dir, html=True), name="web")
    else:
        log.warning("web directory %s not found; the widget is not served", settings.web_dir)
    return app


def create_internal_app(settings: Settings | None = None, *, clock: Clock = utcnow) -> FastAPI:
    """Build the internal app: the action server's routes and health, on the database only."""
    settings = _with_secrets(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with _database(app, settings):
            yield

    return _build("Cadence internal API", settings, clock, lifespan, INTERNAL_ROUTERS)


def _with_secrets(settings: Settings | None) -> Settings:
    _configure_logging()
    return (settings or get_settings()).with_secrets()


def _build(
    title: str,
    settings: Settings,
    clock: Clock,
    lifespan: Lifespan,
    routers: Sequence[APIRouter],
) -> FastAPI:
    """What both apps share: state, routes, error handlers and the middleware stack."""
    app = FastAPI(
        title=title,
        version="1.0.0",
        lifespan=lifespan,
        # The interactive docs load scripts from a CDN, which the CSP forbids anyway; the
        # schema itself is a map for attackers, so production publishes none.
        docs_url=None,
        redoc_url=None,
        openapi_url=None if settings.cadence_env == "production" else "/openapi.json",
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.rate_limits = RateLimits(settings)
    app.state.work_slots = WorkSlots.from_settings(settings)
    app.state.readiness = health.Readiness(settings.readiness_cache_seconds)
    for router in routers:
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


"""The one client the action server uses to reach the Cadence API (service key auth).

Every call is async so a slow API never blocks other conversations in the action
server's event loop. Callers get `ApiUnavailable` for anything that means "try later"
(connection refused, timeout, 5xx) and `ApiError` for a request the API rejected.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import aiohttp

from actions.settings import settings

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """The API answered, but refused the request (4xx)."""

    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(f"API refused the request ({status})")
        self.status = status
        self.detail = detail


class ApiUnavailable(Exception):
    """The API could not be reached or failed (network error, timeout, 5xx)."""


_USER_IN_PATH = re.compile(r"/users/[^/]+")


def _route(path: str) -> str:
    """The path with the user id replaced, fit for a log line."""
    return _USER_IN_PATH.sub("/users/{user_id}", path)


async def _request(method: str, path: str, json: Any = None, params: Any = None) -> Any:
    url = f"{settings.api_url}{path}"
    headers = {"X-Service-Key": settings.service_key}
    timeout = aiohttp.ClientTimeout(total=settings.api_timeout_s)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session, session.request(
            method, url, json=json, params=params, headers=headers
        ) as response:
            if response.status >= 500:
                raise ApiUnavailable(f"API returned {response.status}")
            body = await response.json(content_type=None) if response.content_length != 0 else None
            if response.status >= 400:
                raise ApiError(response.status, body)
            return body
    except (aiohttp.ClientError, TimeoutError) as exc:
        # Only the route goes to the log: bodies carry health data, paths a user id.
        logger.warning("API %s %s unreachable: %s", method, _route(path), type(exc).__name__)
        raise ApiUnavailable(str(type(exc).__name__)) from exc


async def create_checkin(checkin: dict[str, Any]) -> dict[str, Any]:
    """Store a check-in; idempotent on checkin["idempotency_key"]."""
    return await _request("POST", "/api/v1/internal/checkins", json=checkin)


async def create_weekly_check(weekly: dict[str, Any]) -> dict[str, Any]:
    """Store the weekly PEG / mood answers; idempotent on weekly["idempotency_key"]."""
    return await _request("POST", "/api/v1/internal/weekly-checks", json=weekly)


async def latest_weekly_checks(user_id: str, limit: int = 1) -> list[dict[str, Any]]:
    return await _request(
        "GET", f"/api/v1/internal/users/{user_id}/weekly-checks", params={"limit": limit}
    )


async def latest_checkins(user_id: str, limit: int = 1) -> list[dict[str, Any]]:
    return await _request(
        "GET", f"/api/v1/internal/users/{user_id}/checkins", params={"limit": limit}
    )


async def insights(user_id: str) -> dict[str, Any]:
    return await _request("GET", f"/api/v1/internal/users/{user_id}/insights")


async def suggestions(user_id: str, limit: int = 3, pem: bool | None = None) -> Any:
    params: dict[str, Any] = {"limit": limit}
    if pem is not None:
        params["pem"] = str(pem).lower()
    return await _request("GET", f"/api/v1/internal/users/{user_id}/suggestions", params=params)


async def record_technique_feedback(user_id: str, technique_id: str, helped: bool) -> Any:
    body = {"user_id": user_id, "technique_id": technique_id, "helped": helped}
    return await _request("POST", "/api/v1/internal/technique-feedback", json=body)


async def record_safety_event(user_id: str, kind: str) -> None:
    """Record that a safety flow ran (kind and time only, never the message text).

    Never raises: a missing record must not delay or block a crisis reply.
    """
    try:
        await _request(
            "POST", "/api/v1/internal/safety-events", json={"user_id": user_id, "kind": kind}
        )
    except (ApiError, ApiUnavailable):
        logger.warning("safety event of kind %s could not be recorded", kind.split(":")[0])

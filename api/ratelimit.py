"""Per-token limit on /chat and per-IP limit on /sessions, backed by `limits`.

Limits are strings like "30/minute" (RATE_LIMIT_CHAT, RATE_LIMIT_SESSIONS) so tests can
lower them and end-to-end suites can raise them. The storage is in memory per process by
default; RATE_LIMIT_STORAGE_URL=redis://... shares the counters between API processes.
"""

from __future__ import annotations

import math
import time
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from api.security import CurrentUserId
from api.settings import Settings


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        # Parsed at startup so a malformed limit stops the app instead of every request.
        self.chat = parse(settings.rate_limit_chat)
        self.sessions = parse(settings.rate_limit_sessions)
        self._limiter = MovingWindowRateLimiter(
            storage_from_string(settings.rate_limit_storage_url)
        )

    def enforce(self, item: RateLimitItem, scope: str, key: str) -> None:
        if self._limiter.hit(item, scope, key):
            return
        reset_at = self._limiter.get_window_stats(item, scope, key).reset_time
        retry_after = max(1, math.ceil(reset_at - time.time()))
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail="You're sending messages faster than Cadence can keep up. "
            f"Please wait {retry_after} seconds and try again.",
            headers={"Retry-After": str(retry_after)},
        )


async def _limits(request: Request) -> RateLimits:
    return request.app.state.rate_limits


def limit_chat(user_id: CurrentUserId, limits: Annotated[RateLimits, Depends(_limits)]) -> None:
    # Keyed on the token's subject: a new IP does not reset it, a shared IP does not
    # punish other people behind the same network.
    limits.enforce(limits.chat, "chat", user_id)


def limit_sessions(request: Request, limits: Annotated[RateLimits, Depends(_limits)]) -> None:
    # uvicorn --proxy-headers puts the real client address here when behind a proxy.
    client = request.client.host if request.client else "unknown"
    limits.enforce(limits.sessions, "sessions", client)

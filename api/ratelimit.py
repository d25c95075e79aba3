"""Per-token limit on /chat and per-IP limit on /sessions, backed by `limits`.

Limits are strings like "30/minute" (RATE_LIMIT_CHAT, RATE_LIMIT_SESSIONS) so tests can
lower them and end-to-end suites can raise them. The storage is in memory per process by
default; RATE_LIMIT_STORAGE_URL=redis://... shares the counters between API processes.

The check runs on every chat turn. In memory it is a few microseconds of pure Python, so
it runs on the event loop; a Redis round trip blocks, so that one goes to the thread pool.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from api.security import TokenSubject
from api.settings import Settings

log = logging.getLogger("cadence.api.ratelimit")


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        # Parsed at startup so a malformed limit stops the app instead of every request.
        self.chat = parse(settings.rate_limit_chat)
        self.sessions = parse(settings.rate_limit_sessions)
        self._storage = storage_from_string(settings.rate_limit_storage_url)
        self._in_memory = isinstance(self._storage, MemoryStorage)
        self._limiter = MovingWindowRateLimiter(self._storage)

    def _retry_after(self, item: RateLimitItem, scope: str, key: str) -> int | None:
        """Counts this hit: None if it is allowed, else the seconds until one would be."""
        if self._limiter.hit(item, scope, key):
            return None
        reset_at = self._limiter.get_window_stats(item, scope, key).reset_time
        return max(1, math.ceil(reset_at - time.time()))

    async def enforce(self, item: RateLimitItem, scope: str, key: str) -> None:
        if self._in_memory:
            retry_after = self._retry_after(item, scope, key)
        else:
            try:
                retry_after = await run_in_threadpool(self._retry_after, item, scope, key)
            except self._storage.base_exceptions as exc:
                # Shared counters unreachable (Redis down): a limit exists to protect the
                # service, not to turn people away, so let the request through.
                log.warning("rate-limit storage unavailable (%s): not limiting", type(exc).__name__)
                return
        if retry_after is None:
            return
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail="You're sending messages faster than Cadence can keep up. "
            f"Please wait {retry_after} seconds and try again.",
            headers={"Retry-After": str(retry_after)},
        )


async def _limits(request: Request) -> RateLimits:
    return request.app.state.rate_limits


async def limit_chat(
    user_id: TokenSubject, limits: Annotated[RateLimits, Depends(_limits)]
) -> None:
    # Keyed on the token's subject: a new IP does not reset it, a shared IP does not
    # punish other people behind the same network. (Whether the user still exists is
    # checked by the route, with its other database work.)
    await limits.enforce(limits.chat, "chat", user_id)


async def limit_sessions(
    request: Request, limits: Annotated[RateLimits, Depends(_limits)]
) -> None:
    # uvicorn --proxy-headers puts the real client address here when behind a proxy.
    client = request.client.host if request.client else "unknown"
    await limits.enforce(limits.sessions, "sessions", client)

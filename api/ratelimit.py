"""Per-token limit on /chat, per-IP limits on /sessions and on wrong service keys (the
internal app): a moving window per key.

Limits are strings like "30/minute" (RATE_LIMIT_CHAT, RATE_LIMIT_SESSIONS,
RATE_LIMIT_SERVICE_KEY_FAILURES), parsed by `limits`, so tests can lower them and
end-to-end suites can raise them. The counters are in memory per process by default;
RATE_LIMIT_STORAGE_URL=redis://... shares them between API processes through `limits`'
Redis storage (a blocking round trip: run in the thread pool).

In memory, the window is kept here (`MovingWindows`) rather than by `limits`'
MemoryStorage: that one starts a timer thread on a request whenever the previous one has
finished, and the thread walks every key it holds, so each request cost CPU in proportion
to the number of people active in the last window (4.6 ms with 2,000 of them, measured).
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from api.security import TokenSubject
from api.settings import Settings

log = logging.getLogger("cadence.api.ratelimit")


class MovingWindows:
    """In-memory moving windows: at most `item.amount` hits per key in any span of the
    item's length. Used from the event loop only, so it needs no lock.

    A key's hits are dropped as they expire, when the key is hit; keys nobody has hit for
    a whole window are swept out every `SWEEP_EVERY` hits, so memory stays in proportion
    to the people active in the last window and the sweep costs little per request.
    """

    SWEEP_EVERY = 1000

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._longest = 0.0
        self._until_sweep = self.SWEEP_EVERY
        self._clock = clock

    def retry_after(
        self, item: RateLimitItem, scope: str, key: str, *, hit: bool = True
    ) -> int | None:
        """None if a hit is allowed, else the seconds until one would be. Counts the hit
        unless `hit` is false (a look before deciding whether there is anything to count)."""
        now = self._clock()
        window = item.get_expiry()
        self._longest = max(self._longest, window)
        self._until_sweep -= 1
        if self._until_sweep <= 0:
            self._sweep(now)
        hits = self._hits.setdefault((scope, key), deque())
        while hits and hits[0] <= now - window:
            hits.popleft()
        if len(hits) < item.amount:
            if hit:
                hits.append(now)
            return None
        return max(1, math.ceil(hits[0] + window - now))

    def _sweep(self, now: float) -> None:
        self._until_sweep = self.SWEEP_EVERY
        stale = [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - self._longest]
        for k in stale:
            del self._hits[k]

    def __len__(self) -> int:
        return len(self._hits)

    async def count(
        self, item: RateLimitItem, scope: str, key: str, *, hit: bool = True
    ) -> int | None:
        # Microseconds of pure Python: on the event loop, no thread-pool hop.
        return self.retry_after(item, scope, key, hit=hit)


class SharedWindows:
    """`limits`' moving windows in a storage shared by API processes (Redis)."""

    def __init__(self, url: str) -> None:
        self._storage = storage_from_string(url)
        self._limiter = MovingWindowRateLimiter(self._storage)

    def _retry_after(self, item: RateLimitItem, scope: str, key: str, hit: bool) -> int | None:
        allowed = self._limiter.hit if hit else self._limiter.test
        if allowed(item, scope, key):
            return None
        reset_at = self._limiter.get_window_stats(item, scope, key).reset_time
        return max(1, math.ceil(reset_at - time.time()))

    async def count(
        self, item: RateLimitItem, scope: str, key: str, *, hit: bool = True
    ) -> int | None:
        """As `MovingWindows.retry_after`. A blocking round trip, so in the thread pool."""
        try:
            return await run_in_threadpool(self._retry_after, item, scope, key, hit)
        except self._storage.base_exceptions as exc:
            # Shared counters unreachable (Redis down): a limit exists to protect the
            # service, not to turn people away, so let the request through.
            log.warning("rate-limit storage unavailable (%s): not limiting", type(exc).__name__)
            return None


SLOW_DOWN = "You're sending messages faster than Cadence can keep up."


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        # Parsed at startup so a malformed limit stops the app instead of every request.
        self.chat = parse(settings.rate_limit_chat)
        self.sessions = parse(settings.rate_limit_sessions)
        self.service_key_failures = parse(settings.rate_limit_service_key_failures)
        url = settings.rate_limit_storage_url
        self._windows = MovingWindows() if url.startswith("memory://") else SharedWindows(url)

    async def enforce(
        self, item: RateLimitItem, scope: str, key: str, *, why: str = SLOW_DOWN
    ) -> None:
        """Count a hit; 429 if the window is full."""
        self._refuse(await self._windows.count(item, scope, key), why)

    async def refuse_when_full(
        self, item: RateLimitItem, scope: str, key: str, *, why: str = SLOW_DOWN
    ) -> None:
        """429 if the window is full, without counting anything."""
        self._refuse(await self._windows.count(item, scope, key, hit=False), why)

    @staticmethod
    def _refuse(retry_after: int | None, why: str) -> None:
        if retry_after is None:
            return
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail=f"{why} Please wait {retry_after} seconds and try again.",
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

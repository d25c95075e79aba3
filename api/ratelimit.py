"""Moving-window rate limits: per token and per client address on /chat, start over,
exports and insights; per address on /sessions and on wrong service keys (the internal
app).

Tokens cost nothing to get, so a per-token limit alone is walked around by holding many
tokens: whatever reaches Rasa or does heavy work is also limited per client address. An
address is an IPv4 address or an IPv6 /64 (api/client_address.py).

Limits are strings like "30/minute" (RATE_LIMIT_*), parsed by `limits`, so tests can lower
them and end-to-end suites can raise them. The counters are in memory per process by default;
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

from api.client_address import client_address
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
BUSY_ADDRESS = "Cadence is getting a lot of messages from your network right now."
START_OVER_AGAIN = "You've started over several times in a row."
EXPORT_AGAIN = "You've downloaded your data several times in a row."
INSIGHTS_AGAIN = "Your insights have been asked for many times in a row."


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        # Parsed at startup so a malformed limit stops the app instead of every request.
        self.chat = parse(settings.rate_limit_chat)
        self.chat_per_address = parse(settings.rate_limit_chat_per_address)
        self.sessions = parse(settings.rate_limit_sessions)
        self.start_over = parse(settings.rate_limit_start_over)
        self.export = parse(settings.rate_limit_export)
        self.export_per_address = parse(settings.rate_limit_export_per_address)
        self.insights = parse(settings.rate_limit_insights)
        self.insights_per_address = parse(settings.rate_limit_insights_per_address)
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
        if retry_after is not None:
            raise try_again_later(
                status.HTTP_429_TOO_MANY_REQUESTS,
                f"{why} Please wait {retry_after} seconds and try again.",
                retry_after,
            )


def try_again_later(code: int, detail: str, retry_after: int) -> HTTPException:
    """A refusal people can read, with the seconds to wait in Retry-After."""
    return HTTPException(code, detail=detail, headers={"Retry-After": str(retry_after)})


async def _limits(request: Request) -> RateLimits:
    return request.app.state.rate_limits


async def _per_token_and_address(
    limits: RateLimits,
    request: Request,
    user_id: str,
    per_token: tuple[RateLimitItem, str, str],
    per_address: tuple[RateLimitItem, str],
) -> None:
    """Per token: a new address does not reset it, and one person does not use up the
    budget of others behind the same address. Per address as well, or a hundred free
    tokens would make a hundred budgets."""
    item, scope, why = per_token
    await limits.enforce(item, scope, user_id, why=why)
    item, scope = per_address
    await limits.enforce(item, scope, client_address(request), why=BUSY_ADDRESS)


async def limit_chat(
    request: Request, user_id: TokenSubject, limits: Annotated[RateLimits, Depends(_limits)]
) -> None:
    # (Whether the user still exists is checked by the route, with its other database work.)
    await _per_token_and_address(
        limits,
        request,
        user_id,
        (limits.chat, "chat", SLOW_DOWN),
        (limits.chat_per_address, "chat-address"),
    )


async def limit_start_over(
    request: Request, user_id: TokenSubject, limits: Annotated[RateLimits, Depends(_limits)]
) -> None:
    # Starting over runs a Rasa turn and a tracker-store delete: its own per-token limit,
    # and a share of the address's chat budget.
    await _per_token_and_address(
        limits,
        request,
        user_id,
        (limits.start_over, "start-over", START_OVER_AGAIN),
        (limits.chat_per_address, "chat-address"),
    )


async def limit_export(
    request: Request, user_id: TokenSubject, limits: Annotated[RateLimits, Depends(_limits)]
) -> None:
    await _per_token_and_address(
        limits,
        request,
        user_id,
        (limits.export, "export", EXPORT_AGAIN),
        (limits.export_per_address, "export-address"),
    )


async def limit_insights(
    request: Request, user_id: TokenSubject, limits: Annotated[RateLimits, Depends(_limits)]
) -> None:
    await _per_token_and_address(
        limits,
        request,
        user_id,
        (limits.insights, "insights", INSIGHTS_AGAIN),
        (limits.insights_per_address, "insights-address"),
    )


async def limit_sessions(request: Request, limits: Annotated[RateLimits, Depends(_limits)]) -> None:
    await limits.enforce(limits.sessions, "sessions", client_address(request))

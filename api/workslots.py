"""A bounded number of heavy requests (exports, insights) at once, globally and per token,
and the worker processes that draw PDFs.

Unbounded, one token sending a few hundred PDF exports filled the thread pool (which every
sync route and dependency also needs) and kept new sessions waiting for tens of seconds.
Here a request gets one of HEAVY_WORK_SLOTS slots or, if none frees up within
HEAVY_WORK_WAIT_SECONDS, a prompt 503 with Retry-After; a token that already holds
HEAVY_WORK_SLOTS_PER_TOKEN of them gets 429 at once. Both with a JSON `detail` people can
read.

Bounding threads is not enough for a PDF: drawing one is seconds of CPU-bound Python and C
holding the GIL, and every other request's thread then waits for the GIL at each database
call and socket write (measured: new sessions took 0.5-1.5 s behind a single PDF in a
thread). So PDFs are drawn in worker processes (one per slot, at most one per CPU),
started on first use and kept for the life of the process.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import os
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from functools import partial
from typing import Annotated, ParamSpec, TypeVar

import anyio
from fastapi import Depends, HTTPException, Request, status

from api.ratelimit import try_again_later
from api.security import TokenSubject
from api.settings import Settings

P = ParamSpec("P")
R = TypeVar("R")

STILL_PREPARING = (
    "Cadence is still preparing your last download or insights. Please wait {s} seconds "
    "and try again."
)
BUSY = "Cadence is busy preparing other people's data right now. Please try again in {s} seconds."


class WorkSlots:
    """Used from the event loop only: the counts need no lock."""

    def __init__(self, total: int, per_token: int, wait_seconds: float) -> None:
        self._total = total
        self._per_token = per_token
        self._wait = wait_seconds
        self._held: dict[str, int] = {}
        # Created on first use, inside the running event loop.
        self._slots: anyio.Semaphore | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkSlots:
        return cls(
            settings.heavy_work_slots,
            settings.heavy_work_slots_per_token,
            settings.heavy_work_wait_seconds,
        )

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self._wait))

    def _refusal(self, code: int, text: str) -> HTTPException:
        return try_again_later(code, text.format(s=self.retry_after), self.retry_after)

    @asynccontextmanager
    async def slot(self, key: str) -> AsyncIterator[None]:
        """Hold one of the slots (and one of `key`'s) for the block, or raise 429/503."""
        if self._held.get(key, 0) >= self._per_token:
            raise self._refusal(status.HTTP_429_TOO_MANY_REQUESTS, STILL_PREPARING)
        if self._slots is None:
            self._slots = anyio.Semaphore(self._total)
        # Counted while waiting too, so one token cannot queue up the whole line.
        self._held[key] = self._held.get(key, 0) + 1
        try:
            with anyio.move_on_after(self._wait) as waiting:
                await self._slots.acquire()
            if waiting.cancelled_caught:
                raise self._refusal(status.HTTP_503_SERVICE_UNAVAILABLE, BUSY)
            try:
                yield
            finally:
                self._slots.release()
        finally:
            self._held[key] -= 1
            if not self._held[key]:
                del self._held[key]

    async def in_process(self, work: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """`work(*args, **kwargs)` in a worker process (arguments and result pickled); call
        it holding a slot. Waited for even if the client goes away, so the slot is given
        back only when the worker is free again."""
        call = partial(work, *args, **kwargs)
        loop = asyncio.get_running_loop()
        with anyio.CancelScope(shield=True):
            pool = _workers(self._total)
            try:
                return await loop.run_in_executor(pool, call)
            except BrokenProcessPool:
                # A worker died (killed, out of memory): start afresh, once.
                return await loop.run_in_executor(_workers(self._total, broken=pool), call)


WORKER_NICENESS = 10

# One pool per process, shared by the apps in it (an API process serves one; the tests
# build hundreds, and starting workers costs seconds). It ends with the process.
_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _workers(slots: int, *, broken: ProcessPoolExecutor | None = None) -> ProcessPoolExecutor:
    """The pool, started if need be; a new one if it is still `broken`."""
    global _pool
    with _pool_lock:
        if _pool is not None and _pool is broken:
            _pool.shutdown(wait=False, cancel_futures=True)
            _pool = None
        if _pool is None:
            # spawn, not fork: forking a process that runs threads can copy a held lock.
            # Niced: when CPUs are short, people's requests go before drawing reports.
            _pool = ProcessPoolExecutor(
                min(slots, os.cpu_count() or 1),
                mp_context=multiprocessing.get_context("spawn"),
                initializer=os.nice,
                initargs=(WORKER_NICENESS,),
            )
        return _pool


async def work_slots(request: Request) -> WorkSlots:
    return request.app.state.work_slots


HeavyWork = Annotated[WorkSlots, Depends(work_slots)]


async def heavy_work_slot(user_id: TokenSubject, slots: HeavyWork) -> AsyncIterator[None]:
    """The request's slot, as a route dependency: taken before the route loads the user,
    so requests waiting for a slot hold no database connection (200 of them would empty
    the connection pool, and a new session would then wait for one)."""
    async with slots.slot(user_id):
        yield

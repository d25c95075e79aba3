"""Run the action server: loopback by default, callers must present Rasa's token.

rasa_sdk's own CLI always binds 0.0.0.0 and has no authentication, so we build its
Sanic app ourselves, add a token check, and start the outbox flusher beside it. Without
ACTIONS_TOKEN it answers anyone, which is only acceptable on loopback in development:
bound to any other address, or in production, it refuses to start.

Usage: python -m actions.server   (ACTIONS_HOST, ACTIONS_PORT, ACTIONS_TOKEN from env)
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import os
import random
from collections.abc import Awaitable, Callable, Mapping

from rasa_sdk.endpoint import create_app
from sanic import response

from actions import outbox
from actions.settings import settings

logger = logging.getLogger(__name__)


class FlushBackoff:
    """How long the outbox flusher sleeps before its next round.

    While the API is down or busy (unreachable, 5xx — a 503 says "come back later"),
    hammering it every few seconds only slows its recovery, and with several action
    servers the retries would arrive in lockstep. So the wait doubles per failed round,
    from `base` up to `cap`, shortened by up to a quarter at random, and drops back to
    `base` as soon as a round delivers something or finds nothing waiting.
    """

    JITTER = 0.25

    def __init__(
        self, base: float, cap: float, random_fraction: Callable[[], float] = random.random
    ) -> None:
        self.base = base
        self.cap = max(base, cap)
        self.failures = 0
        self._random = random_fraction

    def after_round(self, delivered: int, still_waiting: bool) -> float:
        """Seconds until the next round, given what this one achieved."""
        if delivered or not still_waiting:
            self.failures = 0
            return self.base
        self.failures += 1
        # min() before the power would overflow after a very long outage.
        delay = min(self.cap, self.base * 2 ** min(self.failures - 1, 32))
        return max(self.base, delay * (1 - self.JITTER * self._random()))


def flush_backoff_from_env() -> FlushBackoff:
    base = settings.outbox_retry_s
    # OUTBOX_RETRY_S (default 5 s) up to 12 times that (60 s) unless OUTBOX_RETRY_MAX_S.
    cap = float(os.environ.get("OUTBOX_RETRY_MAX_S", 12 * base))
    return FlushBackoff(base, cap)


async def flush_outbox_forever(
    backoff: FlushBackoff, sleep: Callable[[float], Awaitable[object]] = asyncio.sleep
) -> None:
    while True:
        delivered, still_waiting = 0, True
        try:
            delivered = await outbox.flush()
            still_waiting = bool(outbox.pending())
        except Exception:  # never let the flusher die; it is the safety net
            logger.exception("outbox flush failed")
        delay = backoff.after_round(delivered, still_waiting)
        if backoff.failures:
            logger.info("outbox: API unavailable, next try in %.0fs", delay)
        await sleep(delay)


def build_app(token: str | None = None):
    app = create_app("actions")
    expected = token if token is not None else os.environ.get("ACTIONS_TOKEN", "")

    @app.middleware("request")
    async def require_token(request):
        if request.path == "/health" or not expected:
            return None
        given = request.args.get("token", "")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return response.json({"error": "unauthorised"}, status=401)
        return None

    @app.listener("after_server_start")
    async def start_flusher(app, loop):
        app.add_task(flush_outbox_forever(flush_backoff_from_env()))

    return app


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def refusal(host: str, env: Mapping[str, str]) -> str | None:
    """Why the action server must not start with this environment, or None."""
    production = env.get("CADENCE_ENV") == "production"
    if production and not env.get("SERVICE_KEY", "").strip():
        return "CADENCE_ENV=production needs SERVICE_KEY in the environment"
    if env.get("ACTIONS_TOKEN", "").strip():
        return None
    if production:
        return "CADENCE_ENV=production needs ACTIONS_TOKEN in the environment"
    if not is_loopback(host):
        return (
            f"ACTIONS_HOST={host} listens beyond loopback, so ACTIONS_TOKEN must be set (the "
            "same value Rasa's endpoints.yml sends): without it anyone who can reach the "
            "port could run actions as any user"
        )
    return None


def main() -> None:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"))
    host = os.environ.get("ACTIONS_HOST", "127.0.0.1")
    problem = refusal(host, os.environ)
    if problem:
        raise SystemExit(f"action server not started: {problem}")
    port = int(os.environ.get("ACTIONS_PORT", "5055"))
    build_app().run(host=host, port=port, workers=1, access_log=False)


if __name__ == "__main__":
    main()

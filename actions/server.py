"""Run the action server: loopback by default, callers must present Rasa's token.

rasa_sdk's own CLI always binds 0.0.0.0 and has no authentication, so we build its
Sanic app ourselves, add a token check, and start the outbox flusher beside it.

Usage: python -m actions.server   (ACTIONS_HOST, ACTIONS_PORT, ACTIONS_TOKEN from env)
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os

from rasa_sdk.endpoint import create_app
from sanic import response

from actions import outbox
from actions.settings import settings

logger = logging.getLogger(__name__)


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

    async def flush_outbox_forever():
        while True:
            try:
                await outbox.flush()
            except Exception:  # never let the flusher die; it is the safety net
                logger.exception("outbox flush failed")
            await asyncio.sleep(settings.outbox_retry_s)

    @app.listener("after_server_start")
    async def start_flusher(app, loop):
        app.add_task(flush_outbox_forever())

    return app


def main() -> None:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"))
    if os.environ.get("CADENCE_ENV") == "production" and not (
        os.environ.get("ACTIONS_TOKEN") and settings.service_key
    ):
        raise SystemExit("production needs ACTIONS_TOKEN and SERVICE_KEY in the environment")
    host = os.environ.get("ACTIONS_HOST", "127.0.0.1")
    port = int(os.environ.get("ACTIONS_PORT", "5055"))
    build_app().run(host=host, port=port, workers=1, access_log=False)


if __name__ == "__main__":
    main()

"""The gateway's input channel: Rasa's REST channel, answering only the API's gateway.

Rasa's own REST channel trusts whatever `sender` a caller names and reads text starting
with `/` as an intent with entities, so anything that could reach Rasa's port (another
local process, an SSRF, another pod once Rasa listens beyond loopback) could speak as any
user and skip the gateway's checks. This channel serves the same routes and bodies at
/webhooks/gateway/, but every one of them needs RASA_TOKEN, the secret Rasa shares with
the API, as `Authorization: Bearer <RASA_TOKEN>`, compared in constant time. The one
caller is api/services/rasa.py. bot/credentials.yml names this class; the token comes from
the environment, never from a file in the repository or the command line.
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

TOKEN_ENV = "RASA_TOKEN"
# The same floor as the API's (api/settings.py, MIN_SECRET_BYTES), checked in production.
MIN_TOKEN_BYTES = 32


class MissingGatewayToken(RasaException):
    """RASA_TOKEN is unset (or too short in production): the channel would be open."""


class GatewayInput(RestInput):
    """Rasa's REST channel behind the shared secret (see the module docstring)."""

    def __init__(self, token: str) -> None:
        if not token:
            raise MissingGatewayToken(f"the gateway channel needs {TOKEN_ENV}")
        self._token = token.encode()

    @classmethod
    def name(cls) -> str:
        return "gateway"

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, Any] | None) -> GatewayInput:
        token = os.environ.get(TOKEN_ENV, "").strip()
        if not token:
            raise MissingGatewayToken(
                f"{TOKEN_ENV} is not set: Rasa's chat channel refuses to run without the "
                "secret it shares with the API (make run keeps one in var/dev.env)"
            )
        production = os.environ.get("CADENCE_ENV") == "production"
        if production and len(token.encode()) < MIN_TOKEN_BYTES:
            raise MissingGatewayToken(
                f"CADENCE_ENV=production needs {TOKEN_ENV} of at least {MIN_TOKEN_BYTES} bytes"
            )
        return cls(token)

    def authorised(self, headers: Mapping[str, str]) -> bool:
        scheme, _, given = (headers.get("authorization") or "").partition(" ")
        # compare_digest over bytes: a str with non-ASCII characters would raise.
        return scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), self._token
        )

    async def refuse_unless_authorised(self, request: Request) -> HTTPResponse | None:
        if self.authorised(request.headers):
            return None
        logger.warning(
            "refused a %s to the gateway channel from %s without its token",
            request.method,
            request.ip,
        )
        return response.json(
            {"error": "unauthorised"}, status=401, headers={"WWW-Authenticate": "Bearer"}
        )

    def _extract_input_channel(self, req: Request) -> str:
        return self.name()  # not whatever the body says

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)

        # Blueprint middleware runs for this blueprint's routes only, before each handler.
        # A function, not the bound method: Sanic 21.12's Blueprint.middleware(f, "request")
        # registers nothing unless `f` is a plain function.
        @webhook.middleware("request")
        async def refuse_unless_authorised(request: Request) -> HTTPResponse | None:
            return await self.refuse_unless_authorised(request)

        @webhook.route("/ready", methods=["GET"])
        async def ready(request: Request) -> HTTPResponse:
            # Rasa can answer HTTP before its model is loaded; without --enable-api (and
            # its /status) this says when a turn can be answered.
            agent = getattr(request.app.ctx, "agent", None)
            loaded = agent is not None and agent.is_ready()
            return response.json({"ready": loaded}, status=200 if loaded else 503)

        return webhook

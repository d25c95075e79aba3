"""Client for Rasa's gateway channel (bot/channels.py), with round-robin over upstreams and
fail-over. Every call carries RASA_TOKEN, without which Rasa answers 401."""

from __future__ import annotations

import itertools
import logging
from typing import Any

import httpx

log = logging.getLogger("cadence.api.rasa")

WEBHOOK_PATH = "/webhooks/gateway/webhook"


class RasaUnavailable(Exception):
    """No upstream produced a usable reply (down, 5xx, timeout or garbage)."""


class RasaGateway:
    def __init__(
        self, client: httpx.AsyncClient, upstreams: list[str], timeout: float, token: str
    ) -> None:
        if not upstreams:
            raise ValueError("RASA_URLS names no upstream")
        self._client = client
        self._headers = {"Authorization": f"Bearer {token}"}
        self._upstreams = upstreams
        self._timeout = timeout
        self._next = itertools.count()

    def _rotation(self) -> list[str]:
        start = next(self._next) % len(self._upstreams)
        return self._upstreams[start:] + self._upstreams[:start]

    async def send(
        self, sender: str, message: str, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        body = {"sender": sender, "message": message, "metadata": metadata or {}}
        for upstream in self._rotation():
            try:
                response = await self._client.post(
                    upstream + WEBHOOK_PATH,
                    json=body,
                    headers=self._headers,
                    timeout=self._timeout,
                )
            except (httpx.ConnectError, httpx.ConnectTimeout):
                # Nothing reached this upstream, so trying the next cannot double-process.
                log.warning("rasa upstream %s unreachable; trying the next", upstream)
                continue
            except httpx.HTTPError as exc:
                # A read timeout may mean Rasa did process the message: don't resend it.
                raise RasaUnavailable(type(exc).__name__) from exc
            if response.status_code in (401, 403):
                # A configuration error, not an outage: say which, without the token.
                log.error(
                    "rasa upstream %s refused RASA_TOKEN: the API and Rasa must be "
                    "given the same one",
                    upstream,
                )
            if response.status_code >= 400:
                raise RasaUnavailable(f"HTTP {response.status_code}")
            try:
                reply = response.json()
            except ValueError as exc:
                raise RasaUnavailable("reply is not JSON") from exc
            if not isinstance(reply, list):
                raise RasaUnavailable("reply is not a list")
            return [item for item in reply if isinstance(item, dict)]
        raise RasaUnavailable("no upstream reachable")

    async def ready(self) -> bool:
        """True if any upstream answers its root page ("Hello from Rasa")."""
        for upstream in self._upstreams:
            try:
                response = await self._client.get(upstream + "/", timeout=2.0)
            except httpx.HTTPError:
                continue
            if response.status_code == 200:
                return True
        return False


def to_messages(reply: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep only what the widget renders: text, well-formed buttons, custom objects.

    Absent keys are omitted rather than null, and messages left empty are dropped.
    """
    messages = []
    for item in reply:
        message: dict[str, Any] = {}
        if isinstance(item.get("text"), str):
            message["text"] = item["text"]
        buttons = [
            {"title": button["title"], "payload": button["payload"]}
            for button in item.get("buttons") or []
            if isinstance(button, dict)
            and isinstance(button.get("title"), str)
            and isinstance(button.get("payload"), str)
        ]
        if buttons:
            message["buttons"] = buttons
        if isinstance(item.get("custom"), dict):
            message["custom"] = item["custom"]
        if message:
            messages.append(message)
    return messages

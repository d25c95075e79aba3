"""The gateway channel (bot/channels.py) answers only callers with RASA_TOKEN.

Requests go through a real Sanic app, the channel registered the way Rasa registers it,
driven over ASGI (no port, no model): the check must hold for Rasa's routes as served, not
only when the method is called by hand.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("rasa")

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "-gateway-secret-" + "x" * 32


class FakeAgent:
    """What Rasa's channel handler calls: handle_message, answering "you said ..."."""

    def __init__(self, ready: bool = True) -> None:
        self.ready = ready
        self.handled: list[Any] = []

    async def handle_message(self, message: Any) -> None:
        self.handled.append(message)
        await message.output_channel.send_text_message(
            message.sender_id, f"you said {message.text}"
        )

    def is_ready(self) -> bool:
        return self.ready


class ChannelApp:
    """A Sanic app serving the gateway channel, called over ASGI on one event loop.

    One for the module: Sanic 21.12's start-up rewrites its protocol classes in place
    (TouchUp), which fails the second time in a process. Each test sets `agent`.
    """

    def __init__(self) -> None:
        from rasa.core.channels import channel
        from sanic import Sanic

        from bot.channels import GatewayInput

        self.app = Sanic("gateway_channel_test")
        # As rasa.core.run.configure_app does with the channels in credentials.yml.
        channel.register([GatewayInput(TOKEN)], self.app, route="/webhooks/")
        self.loop = asyncio.new_event_loop()
        # What an ASGI server's lifespan start-up does: routes and middleware finalised.
        self.loop.run_until_complete(self.app._startup())

    @property
    def agent(self) -> FakeAgent | None:
        return getattr(self.app.ctx, "agent", None)

    @agent.setter
    def agent(self, agent: FakeAgent | None) -> None:
        # Before the model is loaded, Rasa's app has no agent at all.
        if agent is None:
            vars(self.app.ctx).pop("agent", None)
        else:
            self.app.ctx.agent = agent

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        query: str = "",
    ) -> tuple[int, Any]:
        return self.loop.run_until_complete(self._call(method, path, body, headers, query))

    async def _call(
        self, method: str, path: str, body: Any, headers: dict[str, str] | None, query: str
    ) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else b""
        raw = [
            (b"host", b"rasa"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(data)).encode()),
        ]
        raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": raw,
            "client": ("127.0.0.1", 40000),
            "server": ("rasa", 5005),
        }
        incoming = [{"type": "http.request", "body": data, "more_body": False}]
        sent: list[dict] = []

        async def receive() -> dict:
            return incoming.pop(0) if incoming else {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            sent.append(message)

        await self.app(scope, receive, send)
        status = next(m["status"] for m in sent if m["type"] == "http.response.start")
        content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return status, json.loads(content) if content else None


@pytest.fixture(scope="module")
def served() -> Iterator[ChannelApp]:
    app = ChannelApp()
    yield app
    app.loop.close()


@pytest.fixture
def channel(served: ChannelApp) -> ChannelApp:
    served.agent = FakeAgent()
    return served


WEBHOOK = "/webhooks/gateway/webhook"
MESSAGE = {"sender": "someone", "message": '/inform{"score": 3}'}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Bearer {TOKEN[:-1]}"},  # all but the last character
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
        {"Authorization": "Bearer \u00e9t\u00e9"},  # not ASCII: refused, not an error
        {"X-Rasa-Token": TOKEN},
    ],
    ids=[
        "none",
        "empty",
        "blank",
        "wrong",
        "prefix",
        "longer",
        "basic",
        "no-scheme",
        "non-ascii",
        "other-header",
    ],
)
def test_a_webhook_call_without_the_right_token_is_refused_and_never_handled(channel, headers):
    assert channel.call("POST", WEBHOOK, MESSAGE, headers) == (401, {"error": "unauthorised"})
    assert channel.agent.handled == []


def test_the_token_in_the_query_string_is_not_enough(channel):
    assert channel.call("POST", WEBHOOK, MESSAGE, query=f"token={TOKEN}")[0] == 401
    assert channel.agent.handled == []


@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
def test_the_right_token_gets_the_turn_answered(channel, scheme):
    body = {**MESSAGE, "input_channel": "facebook", "metadata": {"locale": "en-GB"}}
    status, reply = channel.call("POST", WEBHOOK, body, {"Authorization": f"{scheme} {TOKEN}"})
    assert status == 200
    assert reply == [{"recipient_id": "someone", "text": f"you said {MESSAGE['message']}"}]
    [message] = channel.agent.handled
    assert (message.sender_id, message.metadata) == ("someone", {"locale": "en-GB"})
    assert message.input_channel == "gateway"  # not what the body claimed


def test_every_route_of_the_channel_needs_the_token(channel):
    for path in ("/webhooks/gateway/", "/webhooks/gateway/ready"):
        assert channel.call("GET", path)[0] == 401, path


@pytest.mark.parametrize(
    ("agent", "status"), [(None, 503), (FakeAgent(ready=False), 503), (FakeAgent(), 200)]
)
def test_ready_says_whether_a_model_is_loaded(channel, agent, status):
    channel.agent = agent
    assert channel.call(
        "GET", "/webhooks/gateway/ready", headers={"Authorization": f"Bearer {TOKEN}"}
    ) == (status, {"ready": status == 200})


def test_credentials_yml_serves_only_the_gateway_channel_with_the_token_from_the_env(
    monkeypatch,
):
    from rasa.core.run import create_http_input_channels

    from bot.channels import GatewayInput

    monkeypatch.setenv("RASA_TOKEN", TOKEN)
    [channel] = create_http_input_channels(None, str(ROOT / "bot" / "credentials.yml"))
    assert type(channel) is GatewayInput
    assert channel.authorised({"authorization": f"Bearer {TOKEN}"})
    assert not channel.authorised({"authorization": "Bearer something else"})


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({}, "RASA_TOKEN is not set"),
        ({"RASA_TOKEN": "  "}, "RASA_TOKEN is not set"),
        ({"RASA_TOKEN": "short", "CADENCE_ENV": "production"}, "at least 32 bytes"),
    ],
)
def test_the_channel_refuses_to_start_without_a_usable_token(monkeypatch, env, complaint):
    from bot.channels import GatewayInput, MissingGatewayToken

    monkeypatch.delenv("RASA_TOKEN", raising=False)
    monkeypatch.delenv("CADENCE_ENV", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(MissingGatewayToken, match=complaint):
        GatewayInput.from_credentials(None)

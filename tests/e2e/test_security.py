"""Security properties of the running processes, checked from outside."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.e2e


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on `port` (from /proc/net/tcp{,6})."""
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
                raw = bytes.fromhex(address)
                if width == 8:
                    found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
                else:
                    words = [raw[i:i + 4][::-1] for i in range(0, 16, 4)]
                    found.add(socket.inet_ntop(socket.AF_INET6, b"".join(words)))
    return found


def test_rasa_actions_and_the_internal_api_listen_on_loopback_only(stack):
    for port in (stack.rasa_port, stack.actions_port, stack.internal_api_port):
        addresses = listening_addresses(port)
        assert addresses, f"nothing listens on {port}"
        assert addresses <= {"127.0.0.1", "::1"}, addresses


def test_the_public_port_does_not_serve_the_internal_routes(stack, chat):
    key = {"X-Service-Key": stack.env_value("SERVICE_KEY")}
    path = f"/api/v1/internal/users/{chat.user_id}/checkins"
    assert requests.get(f"{stack.api_url}{path}", headers=key, timeout=10).status_code == 404
    assert "/internal/" not in requests.get(f"{stack.api_url}/openapi.json", timeout=10).text
    assert requests.get(f"{stack.internal_api_url}{path}", headers=key,
                        timeout=10).status_code == 200


def test_rasa_http_api_needs_its_token(stack, chat):
    chat.say("hello")
    url = f"{stack.rasa_url}/conversations/{chat.user_id}/tracker"
    assert requests.get(url, timeout=10).status_code == 401
    assert requests.get(url, params={"token": "wrong"}, timeout=10).status_code == 401
    assert requests.get(url, params={"token": stack.env_value("RASA_TOKEN")},
                        timeout=10).status_code == 200


def test_action_server_only_answers_rasa(stack):
    body = {"next_action": "action_export_data", "sender_id": "x", "tracker": {}, "domain": {}}
    url = f"{stack.actions_url}/webhook"
    assert requests.post(url, json=body, timeout=10).status_code == 401
    assert requests.post(url, json=body, params={"token": "wrong"}, timeout=10).status_code == 401


def test_logs_hold_no_message_text_or_health_values(stack, chat):
    note = "zebra marmalade on my left knee"
    chat.say("I'd like to do a check-in")
    chat.say("my pain is a solid seven today")
    for score in (3, 8, 2):
        chat.click(f'/inform{{"score": {score}}}')
    assert "Saved" in chat.text()
    chat.say(note)
    assert "added your note" in chat.text()
    logs = "\n".join(stack.logs(name) for name in stack.processes)
    for secret in (note, "solid seven", chat.token):
        assert secret not in logs
    assert '"pain": 7' not in logs and "'pain': 7" not in logs

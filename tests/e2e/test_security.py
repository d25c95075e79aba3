"""Security properties of the running processes, checked from outside."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
import requests

from tests.support.stack import ROOT

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


def test_rasa_serves_no_http_api_nor_the_open_rest_channel(stack, chat):
    chat.say("hello")
    token = stack.env_value("RASA_TOKEN")
    for path in (f"/conversations/{chat.user_id}/tracker", "/status"):
        for params in ({}, {"token": token}):
            response = requests.get(f"{stack.rasa_url}{path}", params=params, timeout=10)
            assert response.status_code == 404, (path, params)
    body = {"sender": chat.user_id, "message": "hello"}
    assert requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", json=body,
                         timeout=10).status_code == 404


def test_rasa_chat_needs_the_gateway_secret_and_the_gateways_turns_still_work(stack, chat):
    assert chat.say("hello")  # through the gateway, which sends the secret
    before = stack.tracker_events(chat.user_id)
    url = f"{stack.rasa_url}/webhooks/gateway/webhook"
    # As any local process (or an SSRF) could: the user's id, a raw intent with an entity.
    body = {"sender": chat.user_id, "message": '/inform{"score": 9}'}
    token = stack.env_value("RASA_TOKEN")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": token}):
        response = requests.post(url, json=body, headers=headers, timeout=30)
        assert response.status_code == 401, headers
        assert response.json() == {"error": "unauthorised"}
    assert requests.post(url, json=body, params={"token": token}, timeout=30).status_code == 401
    assert stack.tracker_events(chat.user_id) == before  # Rasa never saw those messages
    chat.say("I'd like to do a check-in")
    assert "pain" in chat.text(), chat.last
    assert any(b["payload"] == '/inform{"score": 9}' for m in chat.last
               for b in m.get("buttons", [])), chat.last


def _session_id(pid: str) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # gone meanwhile
        return None
    return int(stat.rsplit(")", 1)[1].split()[3])  # after "(comm)": state ppid pgrp session


def test_no_secret_is_on_any_command_line(stack):
    """`ps` shows every account the command lines; secrets go by environment or file."""
    sessions = {process.popen.pid: name for name, process in stack.processes.items()
                if process.running}
    assert {"api", "api_internal", "actions", "rasa"} <= set(sessions.values())
    seen = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        # Each process was started in a session of its own: its children are in it too.
        name = sessions.get(_session_id(pid))
        if name is None:
            continue
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        seen.add(name)
        for secret_name, value in stack.secrets.items():
            assert value not in argv, f"{secret_name} on the command line of {name}"
    assert seen == set(sessions.values())


@pytest.mark.parametrize("launcher", ["Procfile", "bin/run-scaled"])
def test_the_launchers_put_no_secret_on_a_command_line(launcher):
    text = (ROOT / launcher).read_text()
    for secret in ("JWT_SECRET", "SERVICE_KEY", "RASA_TOKEN", "ACTIONS_TOKEN", "PGPASSWORD"):
        assert f"${secret}" not in text and f"${{{secret}" not in text, secret
    for option in ("--auth-token", "--jwt-secret", "--enable-api", "--auth=trust"):
        assert option not in text, option


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

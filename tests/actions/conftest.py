"""Action tests run against the real API processes (both listeners) on a temporary
database; the action server's client talks to the internal one, as it does in production."""

from __future__ import annotations

import dataclasses

import pytest
import requests


@pytest.fixture(scope="session")
def api_stack():
    from tests.support.stack import Stack

    stack = Stack().start_api_only()
    yield stack
    stack.stop()


@pytest.fixture
def api(api_stack, monkeypatch, tmp_path):
    """Point the action server's client and outbox at the test API."""
    from actions import api_client, outbox
    from actions.settings import settings

    env = api_stack.env()
    test_settings = dataclasses.replace(
        settings,
        api_url=api_stack.internal_api_url,
        service_key=env["SERVICE_KEY"],
        data_dir=tmp_path,
    )
    monkeypatch.setattr(api_client, "settings", test_settings)
    monkeypatch.setattr(outbox, "settings", test_settings)
    return api_stack


@pytest.fixture
def api_down(api, monkeypatch):
    """The API unreachable for the action server's client, as in an outage (a closed port).
    The outbox keeps the test API's settings, so a test can bring the API back with
    `monkeypatch.setattr(api_client, "settings", outbox.settings)`."""
    from actions import api_client

    closed = dataclasses.replace(api_client.settings, api_url="http://127.0.0.1:9")
    monkeypatch.setattr(api_client, "settings", closed)
    return api


@pytest.fixture
def user_id(api):
    """A real anonymous user created through the public endpoint."""
    response = requests.post(f"{api.api_url}/api/v1/sessions", timeout=10)
    response.raise_for_status()
    return response.json()["user_id"]

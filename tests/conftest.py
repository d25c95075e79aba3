"""Fixtures shared by the bot-side suites (run with .venv).

pytest also loads this file for tests/api, which runs in .venv-api, so the stack
harness is imported lazily inside the fixtures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def stack():
    """One real API + Rasa + action server for the whole run (they take ~30 s to start)."""
    from tests.support.stack import Stack

    if not any((ROOT / "models").glob("*.tar.gz")):
        pytest.fail("no trained model in models/: run `make train` (make test does it)")
    running = Stack().start()
    yield running
    running.stop()


@pytest.fixture
def chat(stack):
    """A fresh anonymous user talking through the gateway, as the widget does."""
    from tests.support.stack import ChatClient

    return ChatClient(stack.api_url)

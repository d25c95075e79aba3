"""The action server will not start where, without its token, anyone could call it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from actions.server import refusal

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "-" + "t" * 40
DEV = {"CADENCE_ENV": "development"}
PRODUCTION = {"CADENCE_ENV": "production", "SERVICE_KEY": "k" * 40}


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.7", "actions.internal", ""])
def test_beyond_loopback_it_needs_its_token(host):
    assert "ACTIONS_TOKEN must be set" in refusal(host, DEV)
    assert refusal(host, {**DEV, "ACTIONS_TOKEN": TOKEN}) is None


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_on_loopback_in_development_it_may_run_without_one(host):
    assert refusal(host, DEV) is None
    assert refusal(host, {**DEV, "ACTIONS_TOKEN": "   "}) is None


def test_in_production_it_needs_its_token_and_the_service_key_even_on_loopback():
    assert "ACTIONS_TOKEN" in refusal("127.0.0.1", PRODUCTION)
    assert "ACTIONS_TOKEN" in refusal("127.0.0.1", {**PRODUCTION, "ACTIONS_TOKEN": " "})
    assert "SERVICE_KEY" in refusal(
        "127.0.0.1", {"CADENCE_ENV": "production", "ACTIONS_TOKEN": TOKEN}
    )
    assert refusal("127.0.0.1", {**PRODUCTION, "ACTIONS_TOKEN": TOKEN}) is None


def test_the_process_exits_with_the_reason_before_it_listens(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("ACTIONS_TOKEN", "CADENCE_ENV")}
    env.update(
        PYTHONPATH=str(ROOT),
        ACTIONS_HOST="0.0.0.0",
        ACTIONS_PORT="1",
        CADENCE_DATA_DIR=str(tmp_path),
    )
    done = subprocess.run(
        [sys.executable, "-m", "actions.server"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "action server not started" in done.stderr
    assert "ACTIONS_HOST=0.0.0.0 listens beyond loopback" in done.stderr

"""Fixtures for the real-browser suite: Debian's Chromium driven by pytest-playwright.

The widget is served by the real stack (the session `stack` fixture from
tests/conftest.py: API + Rasa + action server). To point the suite at a server that is
already running instead — e.g. `make run` while working on web/ — set
CADENCE_BROWSER_URL=http://127.0.0.1:8000.

Playwright's own browser download cannot work on our machines, so Chromium comes from
apt (`apt-get install chromium`) and is launched by path; CADENCE_CHROMIUM overrides it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CADENCE_CHROMIUM", "/usr/bin/chromium"))
RESULTS = Path(__file__).resolve().parent / "results"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives Chromium through Playwright (tests/browser)"
    )


@pytest.fixture(scope="session")
def app_url(request: pytest.FixtureRequest) -> str:
    url = os.environ.get("CADENCE_BROWSER_URL")
    if url:
        return url.rstrip("/")
    return request.getfixturevalue("stack").api_url.rstrip("/")


@pytest.fixture(scope="session")
def results_dir() -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    return RESULTS


# pytest-playwright's fixtures, adjusted: launch the system Chromium by path.
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: apt-get install chromium (CI installs it)")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict, app_url: str) -> dict:
    return {
        **browser_context_args,
        "base_url": app_url + "/",
        "locale": "en-GB",
        "timezone_id": "Europe/London",
        "viewport": {"width": 1280, "height": 860},
        "accept_downloads": True,
    }


@pytest.fixture
def page(page):
    """The default page, failing the test on any script error or CSP violation."""
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))

    def on_console(message) -> None:
        text = message.text
        if message.type == "error" and ("Content Security Policy" in text or "Refused to" in text):
            problems.append(f"CSP: {text}")

    page.on("console", on_console)
    page.set_default_timeout(30_000)
    yield page
    assert not problems, "\n".join(problems)

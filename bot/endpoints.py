"""Write Rasa's endpoints.yml from environment variables.

Rasa's SQL tracker store takes separate fields (dialect, host, db, ...) while the rest of
Cadence is configured with URLs, so the URL is split here once. The same code serves the
embedded default (SQLite file, in-memory lock store) and the scaled setup (PostgreSQL,
Redis lock store).

Usage: python -m bot.endpoints [OUTPUT]   (default: build/endpoints.yml)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import make_url

DEFAULT_OUTPUT = Path("build/endpoints.yml")


def tracker_store(url: str) -> dict[str, Any]:
    parsed = make_url(url)
    store: dict[str, Any] = {
        # Rasa's SQL tracker store, with less work per turn (bot/tracker_store.py).
        "type": "bot.tracker_store.CadenceTrackerStore",
        # Rasa builds the URL again from these parts; "postgresql+psycopg2" stays intact.
        "dialect": parsed.drivername,
        "db": parsed.database,
    }
    if parsed.host:
        store["url"] = parsed.host
    if parsed.port:
        store["port"] = parsed.port
    if parsed.username:
        store["username"] = parsed.username
    if parsed.password:
        store["password"] = parsed.password
    if parsed.query:
        store["query"] = dict(parsed.query)
    return store


def lock_store(url: str) -> dict[str, Any]:
    parsed = make_url(url.replace("redis://", "redis+plain://", 1))
    store: dict[str, Any] = {
        "type": "redis",
        "url": parsed.host or "localhost",
        "port": parsed.port or 6379,
        "db": int(parsed.database or 0),
        "key_prefix": "cadence",
    }
    if parsed.password:
        store["password"] = parsed.password
    return store


def endpoints(env: dict[str, str]) -> dict[str, Any]:
    data_dir = env.get("CADENCE_DATA_DIR", "var")
    config: dict[str, Any] = {
        "action_endpoint": {
            "url": env.get("ACTIONS_URL", "http://127.0.0.1:5055/webhook"),
            # Otherwise Rasa serialises the whole domain (28 kB of JSON) into every call
            # and the action server parses it again; only the form validators use it, and
            # Rasa still sends it to every `validate_*` action.
            "enable_selective_domain": True,
        },
        "tracker_store": tracker_store(
            env.get("TRACKER_STORE_URL", f"sqlite:///{data_dir}/tracker.db")
        ),
    }
    if env.get("ACTIONS_TOKEN"):
        config["action_endpoint"]["token"] = env["ACTIONS_TOKEN"]
    if env.get("LOCK_STORE_URL"):
        config["lock_store"] = lock_store(env["LOCK_STORE_URL"])
    return config


def main() -> None:
    output = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT
    output.parent.mkdir(parents=True, exist_ok=True)
    # Tokens and the database password are in it: readable by its owner only, from the
    # moment it exists (not written 0644 and tightened after).
    descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # an older file keeps its mode otherwise
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(yaml.safe_dump(endpoints(dict(os.environ)), sort_keys=False))
    print(f"wrote {output}")


if __name__ == "__main__":
    main()

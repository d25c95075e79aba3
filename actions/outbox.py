"""A durable outbox for check-ins (daily and weekly), so nothing a user typed is lost
when the API is down.

Every check-in is written here first (SQLite, in the data directory), then delivered.
A delivered row is deleted; an undeliverable one waits for the background flusher
(started by actions/server.py). The API dedupes on the idempotency key, so delivering
twice — a retry after a lost reply, or two action servers sharing nothing — is safe.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from actions import api_client
from actions.settings import settings

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    idempotency_key TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
)
"""


def _connect(path: Path | None = None) -> sqlite3.Connection:
    path = path or settings.outbox_path
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = not path.exists()
    conn = sqlite3.connect(path, timeout=10)
    if fresh:
        path.chmod(0o600)  # health data waiting to be sent: its owner's only
    conn.execute("PRAGMA journal_mode=WAL")
    # A delivered or dropped check-in is overwritten, not left in free pages.
    conn.execute("PRAGMA secure_delete=ON")
    conn.execute(_SCHEMA)
    return conn


def put(checkin: dict[str, Any], path: Path | None = None) -> None:
    """Queue an item; the same key again replaces the waiting body (a note added later)
    but keeps its place in the queue."""
    with closing(_connect(path)) as conn, conn:
        conn.execute(
            "INSERT INTO outbox (idempotency_key, body, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (idempotency_key) DO UPDATE SET body = excluded.body",
            (checkin["idempotency_key"], json.dumps(checkin), time.time()),
        )


def pending(path: Path | None = None) -> list[dict[str, Any]]:
    with closing(_connect(path)) as conn:
        rows = conn.execute("SELECT body FROM outbox ORDER BY created_at").fetchall()
    return [json.loads(body) for (body,) in rows]


def _remove(item: dict[str, Any], path: Path | None = None) -> None:
    # Only the version that was delivered: a note added meanwhile must still go out.
    with closing(_connect(path)) as conn:
        with conn:
            conn.execute(
                "DELETE FROM outbox WHERE idempotency_key = ? AND body = ?",
                (item["idempotency_key"], json.dumps(item)),
            )
        # Copy the deletion into the database file and empty the WAL, which still holds
        # the old page with the check-in in it.
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _count_attempt(key: str, path: Path | None = None) -> None:
    with closing(_connect(path)) as conn, conn:
        conn.execute(
            "UPDATE outbox SET attempts = attempts + 1 WHERE idempotency_key = ?", (key,)
        )


# Refusals that no retry can fix: unknown (erased) user, invalid values.
DROP_ON = {404, 422}


class Waiting(Exception):
    """The API is unreachable; the check-in stays in the outbox."""


async def deliver(checkin: dict[str, Any], path: Path | None = None) -> dict[str, Any] | None:
    """Send one queued check-in.

    Returns the stored row, or None if the API refused it for good (then it is dropped).
    Raises Waiting if the API is unreachable (then it stays queued).
    """
    key = checkin["idempotency_key"]
    # Weekly checks ride the same outbox; their body says so (kind is not sent).
    body = {k: v for k, v in checkin.items() if k != "kind"}
    send = api_client.create_weekly_check if checkin.get("kind") == "weekly" else (
        api_client.create_checkin
    )
    try:
        stored = await send(body)
    except api_client.ApiUnavailable as exc:
        _count_attempt(key, path)
        raise Waiting from exc
    except api_client.ApiError as exc:
        if exc.status not in DROP_ON:
            # e.g. a wrong service key: an operator can fix it, so keep waiting.
            _count_attempt(key, path)
            raise Waiting from exc
        # The API will never accept it (the user erased their data, or the row is
        # invalid): drop it, since keeping it would hold health data nobody can claim.
        logger.warning("dropping undeliverable check-in (API said %s)", exc.status)
        stored = None
    _remove(checkin, path)
    return stored


async def flush(path: Path | None = None) -> int:
    """Deliver whatever is waiting. Returns how many were delivered."""
    delivered = 0
    for checkin in pending(path):
        try:
            if await deliver(checkin, path) is not None:
                delivered += 1
        except Waiting:
            break  # still down; keep order and try again on the next tick
    if delivered:
        logger.info("outbox delivered %d waiting check-in(s)", delivered)
    return delivered

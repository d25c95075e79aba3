"""What is left about a user in the stack's databases, found without naming tables.

Used by the erase tests: every table of each SQLite file is listed from the file itself
and every column is searched, so a table or column added later is checked too, and an id
inside a JSON body (a tracker event, an outbox item) counts as well as a user_id column.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

# actions/settings.py: the action server's outbox lives at CADENCE_DATA_DIR/outbox.db.
OUTBOX_FILE = "outbox.db"


def rows_mentioning(db: Path, needle: str) -> dict[str, int]:
    """{table: rows with `needle` anywhere in any column}, only tables with such rows."""
    assert db.exists(), f"{db} does not exist: checking it would prove nothing"
    found: dict[str, int] = {}
    with closing(sqlite3.connect(db)) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        for table in tables:
            columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]
            # instr, not LIKE: an id may hold "_", which LIKE reads as a wildcard.
            where = " OR ".join(f'instr(CAST("{c}" AS TEXT), :needle) > 0' for c in columns)
            (count,) = conn.execute(
                f'SELECT count(*) FROM "{table}" WHERE {where}', {"needle": needle}
            ).fetchone()
            if count:
                found[table] = count
    return found


def left_about(stack, user_id: str) -> dict[str, dict[str, int]]:
    """Rows about the user in the API database, Rasa's tracker store and the outbox."""
    return {
        "api": rows_mentioning(stack.api_db, user_id),
        "tracker": rows_mentioning(stack.tracker_db, user_id),
        "outbox": rows_mentioning(stack.data_dir / OUTBOX_FILE, user_id),
    }


NOTHING_LEFT = {"api": {}, "tracker": {}, "outbox": {}}

__all__ = ["NOTHING_LEFT", "OUTBOX_FILE", "left_about", "rows_mentioning"]

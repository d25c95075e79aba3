"""All of a user's check-ins as CSV, one row per check-in."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from api.models import Checkin

COLUMNS = (
    "id",
    "created_at",
    "local_date",
    "pain",
    "fatigue",
    "sleep_quality",
    "stress",
    "note",
    "locations",
)
LOCATION_SEPARATOR = "; "
# Spreadsheet apps run cells starting with these as formulas (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def checkins_csv(rows: Iterable[Checkin]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.id,
                row.created_at.isoformat(),
                row.local_date.isoformat(),
                row.pain,
                row.fatigue,
                row.sleep_quality,
                row.stress,
                defuse(row.note or ""),
                defuse(LOCATION_SEPARATOR.join(row.locations or [])),
            ]
        )
    return buffer.getvalue()

"""All of a user's check-ins as CSV, one row per check-in, written a batch at a time."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

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


def _taken(buffer: io.StringIO) -> str:
    """What was written to `buffer` since it was last taken."""
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def checkins_csv(batches: Iterable[Iterable[Checkin]]) -> Iterator[str]:
    """The CSV text in pieces: the header, then one piece per batch of check-ins."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    yield _taken(buffer)
    for batch in batches:
        for row in batch:
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
        yield _taken(buffer)

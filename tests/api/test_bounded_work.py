"""A long history costs what a short one does (#21, finding 6): insights and the PDF read
only the days they report on, and CSV and JSON exports are streamed a batch at a time,
with the same bytes as the one-shot writers they replaced."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from pypdf import PdfReader
from sqlalchemy import event, insert, select

from api.models import Checkin, SafetyEvent, TechniqueFeedback, WeeklyCheck
from api.schemas import CheckinOut, InsightsOut, WeeklyCheckOut
from api.services import checkins, insights
from api.services.export_csv import COLUMNS, defuse
from api.services.export_json import Batches, json_object

YEARS_OF_DAYS = 5 * 365 + 1


def _seed_history(client, user_id: str, n_days: int = YEARS_OF_DAYS) -> dt.date:
    """`n_days` of check-ins ending yesterday (so `latest_local_date` is not today), some
    days twice, some days missed, with notes a spreadsheet would run as formulas."""
    rng = random.Random(6)
    today = dt.datetime.now(dt.timezone.utc).date()
    rows = []
    for back in range(n_days, 0, -1):
        day = today - dt.timedelta(days=back)
        if rng.random() < 0.1:
            continue
        for twice in range(2 if rng.random() < 0.1 else 1):
            answered = dt.datetime.combine(day, dt.time(8 + 10 * twice), dt.timezone.utc)
            rows.append(
                {
                    "user_id": user_id,
                    "idempotency_key": f"{day}-{twice}",
                    "created_at": answered,
                    "local_date": day,
                    "pain": rng.randint(0, 10),
                    "fatigue": rng.randint(0, 10),
                    "sleep_quality": rng.randint(0, 10),
                    "stress": rng.randint(0, 10),
                    "note": rng.choice([None, "=SUM(A1)", 'a "quoted"\nday ☹', "-2 today"]),
                    "locations": rng.choice([None, [], ["lower back", "+neck"]]),
                }
            )
    with client.app.state.sessionmaker() as db:
        db.execute(insert(Checkin), rows)
        db.commit()
    return today


@contextmanager
def checkins_loaded() -> Iterator[dict[str, int]]:
    """Counts the Checkin rows the ORM builds, and the most alive at one time."""
    alive: weakref.WeakSet[Checkin] = weakref.WeakSet()
    seen = {"loaded": 0, "most_alive": 0}

    def loaded(instance: Checkin, _context: object) -> None:
        alive.add(instance)
        seen["loaded"] += 1
        seen["most_alive"] = max(seen["most_alive"], len(alive))

    event.listen(Checkin, "load", loaded)
    try:
        yield seen
    finally:
        event.remove(Checkin, "load", loaded)


def _every_checkin(client, user_id: str) -> list[Checkin]:
    with client.app.state.sessionmaker() as db:
        query = select(Checkin).where(Checkin.user_id == user_id)
        return list(db.scalars(query.order_by(Checkin.created_at, Checkin.id)))


# --- insights and the PDF ---------------------------------------------------------------


def test_insights_of_five_years_are_those_computed_from_every_checkin(client, alice):
    today = _seed_history(client, alice.user_id)
    everything = insights.summarise(_every_checkin(client, alice.user_id), today)
    expected = InsightsOut.model_validate(everything).model_dump(mode="json")

    served = client.get("/api/v1/me/insights", headers=alice.headers).json()

    assert served == expected
    assert served["n_days"] > 1600 and served["latest_local_date"] != today.isoformat()
    assert served["flares"] and served["correlations"]["pain_fatigue"]["n_days"] > 70


def test_insights_load_only_the_checkins_of_the_days_they_use(client, alice):
    _seed_history(client, alice.user_id)
    with checkins_loaded() as seen:
        assert client.get("/api/v1/me/insights", headers=alice.headers).status_code == 200
    # One or two a day, over insights.HISTORY_DAYS days; every one of 1,800 before.
    assert 0 < seen["loaded"] <= 2 * insights.HISTORY_DAYS


def test_the_longest_window_of_any_insight_fits_in_the_days_read():
    # Each reported flare day needs its 14-day baseline before it.
    assert insights.HISTORY_DAYS >= insights.CORRELATION_WINDOW_DAYS
    assert insights.HISTORY_DAYS >= insights.FLARE_LOOKBACK_DAYS + insights.BASELINE_WINDOW_DAYS
    assert insights.HISTORY_DAYS >= insights.MONTH_DAYS


def test_the_pdf_reads_only_the_period_it_reports_on_and_says_so(client, alice):
    today = _seed_history(client, alice.user_id)
    every_day = {row.local_date for row in _every_checkin(client, alice.user_id)}
    with checkins_loaded() as seen:
        response = client.get("/api/v1/me/export", params={"format": "pdf"},
                              headers=alice.headers)
    assert response.status_code == 200
    assert 0 < seen["loaded"] <= 2 * insights.HISTORY_DAYS
    text = " ".join(PdfReader(io.BytesIO(response.content)).pages[0].extract_text().split())
    first = min(every_day).isoformat()
    period_start = (today - dt.timedelta(days=insights.HISTORY_DAYS - 1)).isoformat()
    assert f"from {first} to {today.isoformat()} ({len(every_day)} days with data)" in text
    assert f"covers the last {insights.HISTORY_DAYS} days, {period_start} to" in text


# --- exports: streamed, the same bytes ----------------------------------------------------


def one_shot_csv(rows: list[Checkin]) -> str:
    """The CSV export as it was written before it was streamed (whole, in memory)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([
            row.id, row.created_at.isoformat(), row.local_date.isoformat(), row.pain,
            row.fatigue, row.sleep_quality, row.stress, defuse(row.note or ""),
            defuse("; ".join(row.locations or [])),
        ])
    return buffer.getvalue()


def one_shot_json(client, user_id: str) -> str:
    """The JSON export as it was written before it was streamed."""
    with client.app.state.sessionmaker() as db:
        def rows(model):  # noqa: ANN001, ANN202
            return db.scalars(select(model).where(model.user_id == user_id).order_by(model.id))

        weekly_rows = db.scalars(
            select(WeeklyCheck).where(WeeklyCheck.user_id == user_id)
            .order_by(WeeklyCheck.created_at, WeeklyCheck.id)
        )
        return json.dumps(
            {
                "user_id": user_id,
                "checkins": [CheckinOut.model_validate(row).model_dump(mode="json")
                             for row in _every_checkin(client, user_id)],
                "weekly_checks": [WeeklyCheckOut.model_validate(row).model_dump(mode="json")
                                  for row in weekly_rows],
                "safety_events": [{"kind": e.kind, "created_at": e.created_at.isoformat()}
                                  for e in rows(SafetyEvent)],
                "technique_feedback": [
                    {"technique_id": v.technique_id, "helped": v.helped,
                     "created_at": v.created_at.isoformat()}
                    for v in rows(TechniqueFeedback)
                ],
            },
            indent=2,
        )


def _seed_the_rest(client, user_id: str) -> None:
    with client.app.state.sessionmaker() as db:
        for week in range(3):
            db.add(WeeklyCheck(user_id=user_id, idempotency_key=f"w{week}",
                               local_date=dt.date(2026, 1, 1 + 7 * week), pain=4.5,
                               enjoyment=5, activity=week, phq_interest=1, phq_mood=2,
                               gad_nervous=None if week else 0, gad_worry=1))
        db.add(SafetyEvent(user_id=user_id, kind="crisis"))
        db.add(TechniqueFeedback(user_id=user_id, technique_id="heat", helped=True))
        db.commit()


@pytest.mark.parametrize("batch_rows", [7, checkins.EXPORT_BATCH_ROWS])
def test_streamed_exports_are_byte_for_byte_the_one_shot_ones(
    client, alice, monkeypatch, batch_rows
):
    monkeypatch.setattr(checkins, "EXPORT_BATCH_ROWS", batch_rows)
    today = _seed_history(client, alice.user_id, n_days=60)
    _seed_the_rest(client, alice.user_id)

    as_csv = client.get("/api/v1/me/export", params={"format": "csv"}, headers=alice.headers)
    assert as_csv.status_code == 200
    assert as_csv.content == one_shot_csv(_every_checkin(client, alice.user_id)).encode()
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert as_csv.headers["content-disposition"] == (
        f'attachment; filename="cadence-checkins-{today.isoformat()}.csv"'
    )
    assert b"'=SUM(A1)" in as_csv.content and b"'-2 today" in as_csv.content  # defused

    as_json = client.get("/api/v1/me/export", params={"format": "json"}, headers=alice.headers)
    assert as_json.status_code == 200
    assert as_json.content == one_shot_json(client, alice.user_id).encode()
    assert as_json.headers["content-type"] == "application/json"
    assert as_json.headers["content-disposition"] == (
        f'attachment; filename="cadence-data-{today.isoformat()}.json"'
    )


def test_a_user_with_nothing_exports_the_same_bytes_as_before(client, bob):
    as_csv = client.get("/api/v1/me/export", params={"format": "csv"}, headers=bob.headers)
    assert as_csv.content == one_shot_csv([]).encode()
    as_json = client.get("/api/v1/me/export", params={"format": "json"}, headers=bob.headers)
    assert as_json.content == one_shot_json(client, bob.user_id).encode()


@pytest.mark.parametrize("format_", ["csv", "json"])
def test_exports_hold_one_batch_of_checkins_at_a_time(client, alice, monkeypatch, format_):
    monkeypatch.setattr(checkins, "EXPORT_BATCH_ROWS", 10)
    _seed_history(client, alice.user_id, n_days=200)
    with checkins_loaded() as seen:
        response = client.get("/api/v1/me/export", params={"format": format_},
                              headers=alice.headers)
    assert response.status_code == 200
    assert seen["loaded"] > 150  # every check-in is exported...
    assert seen["most_alive"] <= 2 * 10  # ...but no more than a batch or two is held


@pytest.mark.parametrize(
    "document",
    [
        {},
        {"empty": [], "nested": {"a": [1, {"b": []}], "c": {}}, "text": "line\nbreak ☹ \u2028"},
        {"rows": [{"x": [1, 2], "y": None}, {"x": [], "y": "z"}], "after": 1.5},
    ],
)
def test_json_written_in_pieces_is_what_json_dumps_writes(document):
    def pieces_of(value):  # noqa: ANN001, ANN202
        if isinstance(value, list):  # every list as batches of two
            return Batches(value[i:i + 2] for i in range(0, len(value), 2))
        return value

    streamed = "".join(json_object((key, pieces_of(value)) for key, value in document.items()))
    assert streamed == json.dumps(document, indent=2)

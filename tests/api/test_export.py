"""CSV and PDF export."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from pypdf import PdfReader

from api.models import Checkin, TechniqueFeedback, utcnow
from tests.api.conftest import SERVICE, checkin_body

URL = "/api/v1/me/export"
TRICKY_NOTE = 'Bad day, "really" bad\nsecond line ☹ עברית'


def _seed_days(client, user_id: str, n: int = 20) -> dt.date:
    """n days of check-ins ending today, with a pain flare on the last day."""
    today = dt.datetime.now(dt.timezone.utc).date()
    with client.app.state.sessionmaker() as db:
        for i in range(n):
            flare = i == n - 1
            db.add(
                Checkin(
                    user_id=user_id,
                    idempotency_key=f"d{i}",
                    created_at=utcnow(),
                    local_date=today - dt.timedelta(days=n - 1 - i),
                    pain=9 if flare else 3 + i % 2,
                    fatigue=4 + i % 3,
                    sleep_quality=6 - i % 2,
                    stress=5,
                )
            )
        db.add(TechniqueFeedback(user_id=user_id, technique_id="heat", helped=True))
        db.add(TechniqueFeedback(user_id=user_id, technique_id="heat", helped=False))
        db.add(TechniqueFeedback(user_id=user_id, technique_id="worry_time", helped=False))
        db.commit()
    return today


def test_csv_round_trips_every_checkin(client, alice, bob):
    _seed_days(client, alice.user_id, 3)
    client.post(
        "/api/v1/internal/checkins",
        headers=SERVICE,
        json=checkin_body(
            alice.user_id, "tricky", note=TRICKY_NOTE, locations=["lower back", "neck"]
        ),
    )
    client.post(
        "/api/v1/internal/checkins",
        headers=SERVICE,
        json=checkin_body(alice.user_id, "formula", note='=HYPERLINK("x")'),
    )
    response = client.get(URL, params={"format": "csv"}, headers=alice.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith('attachment; filename="cadence-')
    rows = list(csv.DictReader(io.StringIO(response.text)))
    api_rows = client.get("/api/v1/me/checkins", headers=alice.headers).json()
    assert len(rows) == len(api_rows) == 5
    by_id = {int(r["id"]): r for r in rows}
    for expected in api_rows:
        row = by_id[expected["id"]]
        for field in ("pain", "fatigue", "sleep_quality", "stress"):
            assert int(row[field]) == expected[field]
        assert row["local_date"] == expected["local_date"]
        assert dt.datetime.fromisoformat(row["created_at"]) == dt.datetime.fromisoformat(
            expected["created_at"].replace("Z", "+00:00")
        )
    tricky = next(r for r in rows if "really" in r["note"])
    assert tricky["note"] == TRICKY_NOTE
    assert tricky["locations"] == "lower back; neck"
    # Formula-looking text is defused for spreadsheet apps.
    assert next(r for r in rows if "HYPERLINK" in r["note"])["note"] == '\'=HYPERLINK("x")'

    other = client.get(URL, params={"format": "csv"}, headers=bob.headers)
    assert other.text.strip().split(",")[0] == "id"
    assert len(list(csv.reader(io.StringIO(other.text)))) == 1


def test_csv_is_the_default_format(client, alice):
    assert client.get(URL, headers=alice.headers).headers["content-type"].startswith("text/csv")


def test_pdf_is_a_one_page_clinician_summary(client, alice, monkeypatch):
    today = _seed_days(client, alice.user_id)
    response = client.get(URL, params={"format": "pdf"}, headers=alice.headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].endswith('.pdf"')
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    for expected in [
        "Cadence check-in summary",
        "20 days with data",
        "Averages and trends",
        "Pain",
        "Fatigue",
        "Sleep quality",
        f"{today.isoformat()}: pain 9",
        "Techniques that helped",
        "helped 1 of 2 times",
        "pattern, not proof",
        "Sleep → next-day pain",
        "not a diagnosis",
    ]:
        assert expected in text, expected
    assert "worry" not in text.lower()  # never helped, so not listed
    assert reader.pages[0].images, "the trend chart is embedded"


def test_pdf_with_no_data(client, bob):
    response = client.get(URL, params={"format": "pdf"}, headers=bob.headers)
    assert response.status_code == 200
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "No check-ins yet" in text


@pytest.mark.parametrize("params", [{"format": "xlsx"}, {"format": ""}])
def test_unknown_format_is_422(client, alice, params):
    assert client.get(URL, params=params, headers=alice.headers).status_code == 422


def test_export_needs_a_token(client):
    assert client.get(URL).status_code == 401
    assert client.get(URL, params={"format": "pdf"}).status_code == 401


def test_json_export_holds_everything_including_safety_events_without_text(client, alice, bob):
    client.post("/api/v1/internal/checkins", json=checkin_body(alice.user_id), headers=SERVICE)
    client.post(
        "/api/v1/internal/safety-events",
        json={"user_id": alice.user_id, "kind": "crisis", "text": "never stored"},
        headers=SERVICE,
    )
    client.post("/api/v1/internal/safety-events", json={"user_id": bob.user_id,
                                                        "kind": "red_flag:stroke"},
                headers=SERVICE)
    response = client.get("/api/v1/me/export", params={"format": "json"}, headers=alice.headers)
    assert response.status_code == 200
    data = response.json()
    assert len(data["checkins"]) == 1
    assert [e["kind"] for e in data["safety_events"]] == ["crisis"]
    assert "never stored" not in response.text

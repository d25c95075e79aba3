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


def test_csv_round_trips_every_checkin(client, internal, alice, bob):
    _seed_days(client, alice.user_id, 3)
    internal.post(
        "/api/v1/internal/checkins",
        headers=SERVICE,
        json=checkin_body(
            alice.user_id, "tricky", note=TRICKY_NOTE, locations=["lower back", "neck"]
        ),
    )
    internal.post(
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


def test_json_export_holds_everything_including_safety_events_without_text(
    client, internal, alice, bob
):
    internal.post("/api/v1/internal/checkins", json=checkin_body(alice.user_id), headers=SERVICE)
    internal.post(
        "/api/v1/internal/safety-events",
        json={"user_id": alice.user_id, "kind": "crisis", "text": "never stored"},
        headers=SERVICE,
    )
    internal.post("/api/v1/internal/safety-events", json={"user_id": bob.user_id,
                                                        "kind": "red_flag:stroke"},
                  headers=SERVICE)
    response = client.get("/api/v1/me/export", params={"format": "json"}, headers=alice.headers)
    assert response.status_code == 200
    data = response.json()
    assert len(data["checkins"]) == 1
    assert [e["kind"] for e in data["safety_events"]] == ["crisis"]
    assert "never stored" not in response.text


# --- the one-page promise -----------------------------------------------------------------

FOOTER_SIZE = 7.5  # the footer is the only text set this small


def text_rows(pdf: bytes) -> list[tuple[float, float, str]]:
    """(baseline height above the page bottom in pt, font size, text) of every text run."""
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    rows: list[tuple[float, float, str]] = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            rows.append((tm[5] * cm[3] + cm[5], size * tm[3] * cm[3], text.strip()))

    reader.pages[0].extract_text(visitor_text=visit)
    return rows


def assert_body_clears_the_footer(pdf: bytes) -> list[str]:
    """One page, the whole footer on it, and every body line above the footer's first line
    (descenders included). Returns the body's text runs, top to bottom."""
    rows = text_rows(pdf)
    footer = [r for r in rows if abs(r[1] - FOOTER_SIZE) < 0.01]
    body = [r for r in rows if abs(r[1] - FOOTER_SIZE) >= 0.01]
    footer_text = " ".join(r[2] for r in footer)
    assert footer_text.startswith("Generated by Cadence")
    assert footer_text.endswith("answers are not included.")
    footer_top = max(y for y, _, _ in footer) + FOOTER_SIZE
    lowest = min(body, key=lambda r: r[0])
    assert lowest[0] - 0.25 * lowest[1] > footer_top, f"{lowest[2]!r} runs into the footer"
    return [text for _, _, text in sorted(body, key=lambda r: -r[0])]


LONG_NOTE = "PRIVATE-NOTE " + "so tired after the school run, " * 60


def _seed_worst_case(client, user_id: str) -> None:
    """The fullest summary a person can produce: 30 days alternating flare and calm (both
    measures), a 2,000-character note on every check-in, a year of weekly PEG answers, and
    feedback on every catalogue technique plus two retired ones with the widest ids (the
    most helpful)."""
    from api.models import WeeklyCheck
    from api.services import ranking
    from tests.api.conftest import REPO_ROOT

    today = dt.datetime.now(dt.timezone.utc).date()
    catalogue = ranking.load_catalogue(REPO_ROOT / "data" / "knowledge" / "techniques.yml")
    technique_ids = ["w" * 64, "m" * 63] + [t.id for t in catalogue]
    with client.app.state.sessionmaker() as db:
        for i in range(30):
            high = i >= 6 and i % 2 == 0
            db.add(Checkin(
                user_id=user_id, idempotency_key=f"d{i}", created_at=utcnow(),
                local_date=today - dt.timedelta(days=29 - i), pain=10 if high else 1,
                fatigue=10 if high else 1, sleep_quality=1 if high else 9, stress=i % 11,
                note=LONG_NOTE[:2000], locations=["lower back", "neck", "both knees"],
            ))
        for week in range(52):
            db.add(WeeklyCheck(
                user_id=user_id, idempotency_key=f"w{week}", created_at=utcnow(),
                local_date=today - dt.timedelta(weeks=51 - week), pain=10.0, enjoyment=10,
                activity=10 if week else 0, phq_interest=3, phq_mood=3,
            ))
        for n, technique_id in enumerate(technique_ids):
            for vote in range(12):
                db.add(TechniqueFeedback(user_id=user_id, technique_id=technique_id,
                                         helped=vote < 12 - min(n, 11)))
        db.commit()


def test_worst_case_pdf_stays_one_page_with_nothing_over_the_footer(client, alice):
    _seed_worst_case(client, alice.user_id)
    flares = client.get("/api/v1/me/insights", headers=alice.headers).json()["flares"]
    n_flares = len(flares)
    n_techniques = len(client.get("/api/v1/me/export", params={"format": "json"},
                                  headers=alice.headers).json()["technique_feedback"]) // 12
    assert n_flares > 6 and n_techniques >= 14

    response = client.get(URL, params={"format": "pdf"}, headers=alice.headers)
    assert response.status_code == 200
    body = assert_body_clears_the_footer(response.content)
    text = " ".join(body)
    # Fewer rows than usual fit, but the newest flares and most helpful techniques are kept
    # and the rest are counted.
    flare_rows = [t for t in body if ": pain 10 (usual" in t]
    technique_rows = [t for t in body if "times tried" in t]
    assert 3 <= len(flare_rows) <= 6 and 3 <= len(technique_rows) <= 8
    assert flare_rows[0].startswith(flares[0]["local_date"])
    assert body.index(flare_rows[-1]) + 1 == body.index(
        f"...and {n_flares - len(flare_rows)} more."
    )
    # The most helpful one has the widest id: cut to one line, its tally kept.
    assert technique_rows[0].startswith("www") and technique_rows[0].endswith(
        "…: helped 12 of 12 times tried"
    )
    assert body.index(technique_rows[-1]) + 1 == body.index(
        f"...and {n_techniques - len(technique_rows)} more."
    )
    assert "PRIVATE-NOTE" not in text and "school run" not in text


def _crowded_summary(message_words: int):
    """The worst case's summary with pattern messages `message_words` words long."""
    from api.services import insights

    today = dt.date(2026, 11, 30)
    rows = [
        Checkin(local_date=today - dt.timedelta(days=29 - i), pain=10 if i % 2 else 1,
                fatigue=10 if i % 2 else 1, sleep_quality=5, stress=5)
        for i in range(30)
    ]
    summary = insights.summarise(rows, today)
    for result in summary["correlations"].values():
        result["message"] = " ".join(["unforeseen"] * message_words)
    helped = [(f"Technique {n}", 12 - n % 12, 12) for n in range(14)]
    return summary, insights.daily_means(rows), helped, today


def test_a_page_that_would_overflow_drops_the_least_important_rows():
    from api.services.report_pdf import clinician_pdf

    summary, days, helped, today = _crowded_summary(message_words=30)
    body = assert_body_clears_the_footer(clinician_pdf(summary, days, helped, today))
    flare_rows = [t for t in body if t.endswith(")") and ": pain" in t]
    technique_rows = [t for t in body if t.startswith("Technique ")]
    assert 0 < len(flare_rows) < 6 and 0 < len(technique_rows) < 8
    assert f"...and {len(summary['flares']) - len(flare_rows)} more." in body
    assert f"...and {len(helped) - len(technique_rows)} more." in body
    assert flare_rows[0].startswith(summary["flares"][0]["local_date"].isoformat())


def test_content_that_cannot_fit_fails_loudly_instead_of_overlapping():
    from api.services.report_pdf import PageOverflow, clinician_pdf

    summary, days, helped, today = _crowded_summary(message_words=600)
    with pytest.raises(PageOverflow):
        clinician_pdf(summary, days, helped, today)

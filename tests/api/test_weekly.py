"""Weekly checks: PEG interference items, PHQ-2 / GAD-2 with consent, the PEG course."""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace

import pytest
from pypdf import PdfReader

from api.models import WeeklyCheck, utcnow
from api.services.weekly import peg_course
from tests.api.conftest import SERVICE, checkin_body

INTERNAL = "/api/v1/internal"


def weekly_body(user_id: str, key: str = "w1", **values) -> dict:
    return {"user_id": user_id, "idempotency_key": key, "enjoyment": 4, "activity": 5, **values}


def post_checkin(internal, user_id: str, key: str, pain: int) -> None:
    response = internal.post(
        f"{INTERNAL}/checkins", json=checkin_body(user_id, key, pain=pain), headers=SERVICE
    )
    assert response.status_code == 201, response.text


def test_peg_uses_the_mean_daily_pain_of_the_week(client, internal, alice):
    post_checkin(internal, alice.user_id, "a", pain=6)
    post_checkin(internal, alice.user_id, "b", pain=7)
    response = internal.post(f"{INTERNAL}/weekly-checks", json=weekly_body(alice.user_id),
                             headers=SERVICE)
    assert response.status_code == 201, response.text
    row = response.json()
    assert row["pain"] == 6.5
    assert row["peg"] == round((6.5 + 4 + 5) / 3, 1) == 5.2
    # Mood questions declined: no scores, no suggestion.
    assert (row["phq2"], row["gad2"], row["suggest_professional"]) == (None, None, False)

    replay = internal.post(f"{INTERNAL}/weekly-checks",
                           json=weekly_body(alice.user_id, enjoyment=9), headers=SERVICE)
    assert replay.status_code == 200
    assert replay.json() == row
    mine = client.get("/api/v1/me/weekly-checks", headers=alice.headers).json()
    assert mine == [row]


@pytest.mark.parametrize(
    ("answers", "phq2", "gad2", "suggest"),
    [
        ((1, 1, 0, 2), 2, 2, False),  # 2 and 2: below the threshold
        ((2, 1, 0, 0), 3, 0, True),  # PHQ-2 of 3
        ((0, 0, 3, 0), 0, 3, True),  # GAD-2 of 3
        ((3, 3, 3, 3), 6, 6, True),
    ],
)
def test_mood_screens_suggest_a_professional_from_a_score_of_3(
    internal, alice, answers, phq2, gad2, suggest
):
    items = dict(zip(("phq_interest", "phq_mood", "gad_nervous", "gad_worry"), answers,
                     strict=True))
    row = internal.post(f"{INTERNAL}/weekly-checks", json=weekly_body(alice.user_id, **items),
                        headers=SERVICE).json()
    assert (row["phq2"], row["gad2"], row["suggest_professional"]) == (phq2, gad2, suggest)
    # No daily check-in this week, so there is no pain item and no PEG score.
    assert row["pain"] is None and row["peg"] is None


@pytest.mark.parametrize(
    "change",
    [
        {"enjoyment": 11},
        {"activity": -1},
        {"phq_interest": 4, "phq_mood": 0},
        {"phq_interest": 1},  # half a screen has no valid score
        {"gad_worry": 2},
        {"enjoyment": None},
    ],
)
def test_invalid_weekly_answers_are_422(client, internal, alice, change):
    response = internal.post(f"{INTERNAL}/weekly-checks",
                             json=weekly_body(alice.user_id, **change), headers=SERVICE)
    assert response.status_code == 422
    assert client.get("/api/v1/me/weekly-checks", headers=alice.headers).json() == []


def test_weekly_checks_are_private(client, internal, alice, bob):
    internal.post(f"{INTERNAL}/weekly-checks", json=weekly_body(alice.user_id), headers=SERVICE)
    assert client.get("/api/v1/me/weekly-checks").status_code == 401
    assert client.get("/api/v1/me/weekly-checks", headers=bob.headers).json() == []
    assert internal.post(f"{INTERNAL}/weekly-checks", json=weekly_body(alice.user_id)).status_code \
        == 401
    unknown = weekly_body("00000000-0000-0000-0000-000000000000")
    assert internal.post(f"{INTERNAL}/weekly-checks", json=unknown, headers=SERVICE).status_code \
        == 404


def _week(day: int, pain: float, enjoyment: int, activity: int) -> SimpleNamespace:
    return SimpleNamespace(
        id=day, created_at=utcnow(), local_date=dt.date(2026, 11, day), pain=pain,
        enjoyment=enjoyment, activity=activity, phq_interest=None, phq_mood=None,
        gad_nervous=None, gad_worry=None,
    )


def test_peg_course_flags_a_30_percent_drop_as_meaningful():
    course = peg_course([_week(1, 6, 6, 6), _week(8, 5, 5, 5), _week(15, 4, 4, 4)])
    assert [s.peg for s in course.scores] == [6.0, 5.0, 4.0]
    assert course.change_pct == -33.3
    assert course.meaningful_improvement
    assert "meaningful" in course.message


def test_peg_course_a_smaller_drop_or_a_rise_is_not_meaningful():
    assert peg_course([_week(1, 6, 6, 6), _week(8, 5, 5, 5)]).meaningful_improvement is False
    rise = peg_course([_week(1, 3, 3, 3), _week(8, 6, 6, 6)])
    assert rise.change_pct == 100.0 and not rise.meaningful_improvement
    assert "higher" in rise.message
    single = peg_course([_week(1, 3, 3, 3)])
    assert single.change_pct is None and single.n_weeks == 1
    assert peg_course([]) is None
    # A week without daily pain ratings has no PEG score and is left out.
    assert peg_course([_week(1, None, 3, 3)]) is None


def _seed_weeks(client, user_id: str) -> None:
    today = dt.datetime.now(dt.timezone.utc).date()
    with client.app.state.sessionmaker() as db:
        for i, level in enumerate((7, 6, 4)):
            db.add(WeeklyCheck(
                user_id=user_id, idempotency_key=f"w{i}", created_at=utcnow(),
                local_date=today - dt.timedelta(days=7 * (2 - i)), pain=level,
                enjoyment=level, activity=level, phq_interest=2, phq_mood=2,
            ))
        db.commit()


def test_insights_report_the_peg_course(client, alice):
    assert client.get("/api/v1/me/insights", headers=alice.headers).json()["peg"] is None
    _seed_weeks(client, alice.user_id)
    peg = client.get("/api/v1/me/insights", headers=alice.headers).json()["peg"]
    assert (peg["first"], peg["latest"], peg["n_weeks"]) == (7.0, 4.0, 3)
    assert peg["change_pct"] == -42.9 and peg["meaningful_improvement"] is True


def test_exports_carry_the_weekly_checks(client, internal, alice, bob):
    post_checkin(internal, alice.user_id, "a", pain=5)
    _seed_weeks(client, alice.user_id)
    _seed_weeks(client, bob.user_id)
    data = client.get("/api/v1/me/export", params={"format": "json"},
                      headers=alice.headers).json()
    assert [w["peg"] for w in data["weekly_checks"]] == [7.0, 6.0, 4.0]
    assert data["weekly_checks"][0]["phq2"] == 4

    pdf = client.get("/api/v1/me/export", params={"format": "pdf"}, headers=alice.headers)
    text = " ".join(PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text().split())
    assert "PEG score" in text
    assert "-43%" in text and "30% drop" in text
    # Mood screening answers stay out of the clinician summary unless shared another way.
    assert "PHQ" not in text

"""Insights maths on synthetic series with known answers, and the two endpoints."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.services import insights
from tests.api.conftest import SERVICE

TODAY = dt.date(2026, 3, 31)


@dataclass
class C:
    local_date: dt.date
    pain: int = 5
    fatigue: int = 5
    sleep_quality: int = 5
    stress: int = 5


def series(n: int, end: dt.date = TODAY, **columns) -> list[C]:
    """n consecutive days ending at `end`; each column is a function of the day index."""
    start = end - dt.timedelta(days=n - 1)
    return [
        C(start + dt.timedelta(days=i), **{k: f(i) for k, f in columns.items()}) for i in range(n)
    ]


def test_daily_means_merge_checkins_on_the_same_day():
    days = insights.daily_means([C(TODAY, pain=2), C(TODAY, pain=5), C(TODAY - dt.timedelta(1))])
    assert [d.date for d in days] == [TODAY - dt.timedelta(1), TODAY]
    assert days[1].pain == 3.5


def test_perfect_positive_and_negative_same_day_correlation():
    rows = series(10, pain=lambda i: i % 7, fatigue=lambda i: i % 7)
    result = insights.summarise(rows, TODAY)["correlations"]["pain_fatigue"]
    assert result["r"] == 1.0
    assert result["n_days"] == 10
    assert result["caveat"] == "pattern, not proof"
    assert result["learn_topic"] == "pain_fatigue_link"
    assert "higher" in result["message"] and "strong" in result["message"]

    rows = series(10, pain=lambda i: i % 7, fatigue=lambda i: 10 - i % 7)
    assert insights.summarise(rows, TODAY)["correlations"]["pain_fatigue"]["r"] == -1.0


def test_correlation_is_hidden_under_seven_days_with_how_many_more():
    rows = series(4, pain=lambda i: i, fatigue=lambda i: i)
    result = insights.summarise(rows, TODAY)["correlations"]["pain_fatigue"]
    assert result["r"] is None
    assert result["n_days"] == 4
    assert "3 more days" in result["message"]
    rows = series(6, pain=lambda i: i, fatigue=lambda i: i)
    assert (
        "1 more day " in insights.summarise(rows, TODAY)["correlations"]["pain_fatigue"]["message"]
    )


def test_flat_series_has_no_correlation():
    rows = series(10, pain=lambda i: 4, fatigue=lambda i: i)
    result = insights.summarise(rows, TODAY)["correlations"]["pain_fatigue"]
    assert result["r"] is None
    assert "haven't changed" in result["message"]


def test_sleep_predicts_next_day_pain_and_fatigue():
    # Pain and fatigue on day i+1 are exactly 10 - sleep on day i.
    sleep = [3, 8, 5, 9, 2, 6, 7, 4, 8, 1, 5]
    rows = series(
        11,
        sleep_quality=lambda i: sleep[i],
        pain=lambda i: 10 - sleep[i - 1] if i else 5,
        fatigue=lambda i: 10 - sleep[i - 1] if i else 5,
    )
    correlations = insights.summarise(rows, TODAY)["correlations"]
    for key in ("sleep_next_day_pain", "sleep_next_day_fatigue"):
        assert correlations[key]["r"] == -1.0
        assert correlations[key]["n_days"] == 10  # 11 days give 10 consecutive pairs
        assert correlations[key]["learn_topic"] == "sleep_link"
        assert "lower" in correlations[key]["message"]


def test_lagged_pairs_skip_gaps():
    rows = [C(TODAY - dt.timedelta(days=d)) for d in (0, 1, 3, 4, 5, 8)]
    xs, _ = insights.next_day_pairs(insights.daily_means(rows), "sleep_quality", "pain")
    assert len(xs) == 3  # (−5,−4), (−4,−3), (−1,0)
    result = insights.summarise(rows, TODAY)["correlations"]["sleep_next_day_pain"]
    assert result["r"] is None and "4 more days in a row" in result["message"]


def test_known_slope_and_window_averages():
    rows = series(30, pain=lambda i: i // 3, fatigue=lambda i: 9 - i // 3)
    # Integer steps every 3 days: the fitted slope is close to 1/3 point a day.
    pain = insights.summarise(rows, TODAY)["measures"]["pain"]
    assert pain["avg_30d"] == 4.5
    assert pain["avg_7d"] == round((7 + 8 + 8 + 8 + 9 + 9 + 9) / 7, 1)
    assert pain["days_7d"] == 7 and pain["days_30d"] == 30
    assert pain["trend_30d"] == pytest.approx(1 / 3, abs=0.01)

    days = [insights.Day(TODAY - dt.timedelta(days=9 - i), 2 + 0.5 * i, 0, 0, 0) for i in range(10)]
    assert insights.slope_per_day(days, "pain") == pytest.approx(0.5)
    assert insights.slope_per_day(days[:2], "pain") is None


def test_slope_uses_the_calendar_not_the_row_index():
    # Values rise 1 point every 2 calendar days, with a check-in only every other day.
    days = [
        insights.Day(TODAY - dt.timedelta(days=2 * (4 - i)), float(i), 0, 0, 0) for i in range(5)
    ]
    assert insights.slope_per_day(days, "pain") == pytest.approx(0.5)


def test_windows_ignore_old_days():
    rows = series(5, end=TODAY - dt.timedelta(days=40), pain=lambda i: 9)
    rows += series(3, pain=lambda i: 1)
    pain = insights.summarise(rows, TODAY)["measures"]["pain"]
    assert pain["avg_7d"] == 1.0 and pain["avg_30d"] == 1.0 and pain["trend_7d"] == 0.0


def test_planted_flare_is_found_against_a_14_day_baseline():
    rows = series(15, pain=lambda i: 6 if i == 14 else 3, fatigue=lambda i: 4)
    result = insights.summarise(rows, TODAY)
    assert result["flare"] is not None
    assert result["flare"]["local_date"] == TODAY
    assert result["flare"]["measures"] == {"pain": {"value": 6.0, "baseline": 3.0}}
    assert "flare plan" in result["flare"]["suggestion"]
    assert [f["local_date"] for f in result["flares"]] == [TODAY]


def test_fatigue_flare_and_threshold_edges():
    rows = series(8, fatigue=lambda i: 7 if i == 7 else 5)  # exactly +2 → flare
    assert insights.summarise(rows, TODAY)["flare"]["measures"] == {
        "fatigue": {"value": 7.0, "baseline": 5.0}
    }
    rows = series(8, pain=lambda i: 6.9 if i == 7 else 5)  # +1.9 → no flare
    assert insights.summarise(rows, TODAY)["flare"] is None


def test_no_flare_without_five_baseline_days():
    rows = series(5, pain=lambda i: 9 if i == 4 else 2)  # only 4 days before the spike
    assert insights.summarise(rows, TODAY)["flares"] == []


def test_baseline_only_looks_back_14_days():
    # High pain long ago must not mask today's flare relative to the recent two weeks.
    rows = series(10, end=TODAY - dt.timedelta(days=20), pain=lambda i: 9)
    rows += series(8, pain=lambda i: 5 if i == 7 else 2)
    flare = insights.summarise(rows, TODAY)["flare"]
    assert flare["measures"]["pain"] == {"value": 5.0, "baseline": 2.0}


def test_old_flare_is_listed_but_not_current():
    rows = series(10, end=TODAY - dt.timedelta(days=2), pain=lambda i: 8 if i == 9 else 2)
    rows += series(2, pain=lambda i: 2)
    result = insights.summarise(rows, TODAY)
    assert result["flare"] is None
    assert [f["local_date"] for f in result["flares"]] == [TODAY - dt.timedelta(days=2)]


def test_best_and_worst_days():
    rows = series(5, pain=lambda i: [4, 1, 4, 9, 4][i], sleep_quality=lambda i: 5)
    result = insights.summarise(rows, TODAY)
    assert result["best_day"]["local_date"] == TODAY - dt.timedelta(days=3)
    assert result["worst_day"]["local_date"] == TODAY - dt.timedelta(days=1)
    assert result["worst_day"]["pain"] == 9.0


def test_empty_history():
    result = insights.summarise([], TODAY)
    assert result["n_days"] == 0
    assert result["best_day"] is None and result["flare"] is None
    assert result["measures"]["pain"]["avg_7d"] is None
    assert result["correlations"]["pain_fatigue"]["message"].startswith("Check in on 7 more days")


# --- endpoints --------------------------------------------------------------------------


def _store(client, user_id: str, rows: list[C]) -> None:
    from api.models import Checkin, utcnow

    with client.app.state.sessionmaker() as db:
        for n, row in enumerate(rows):
            db.add(
                Checkin(
                    user_id=user_id,
                    idempotency_key=f"seed-{n}",
                    created_at=utcnow(),
                    local_date=row.local_date,
                    pain=row.pain,
                    fatigue=row.fatigue,
                    sleep_quality=row.sleep_quality,
                    stress=row.stress,
                )
            )
        db.commit()


def test_insights_endpoint(client, internal, alice, bob):
    today = dt.datetime.now(dt.timezone.utc).date()
    _store(
        client,
        alice.user_id,
        series(
            10,
            end=today,
            pain=lambda i: 8 if i == 9 else i % 3,
            fatigue=lambda i: 8 if i == 9 else i % 3,
        ),
    )
    body = client.get("/api/v1/me/insights", headers=alice.headers).json()
    assert body["n_days"] == 10
    assert body["correlations"]["pain_fatigue"]["r"] == 1.0
    assert body["flare"]["local_date"] == today.isoformat()
    assert set(body["measures"]) == {"pain", "fatigue", "sleep_quality", "stress"}

    other = client.get("/api/v1/me/insights", headers=bob.headers).json()
    assert other["n_days"] == 0 and other["flare"] is None

    served = internal.get(f"/api/v1/internal/users/{alice.user_id}/insights", headers=SERVICE)
    assert served.json() == body


def test_insights_need_auth(client, internal, alice):
    assert client.get("/api/v1/me/insights").status_code == 401
    assert internal.get(f"/api/v1/internal/users/{alice.user_id}/insights").status_code == 401
    unknown = internal.get("/api/v1/internal/users/nobody/insights", headers=SERVICE)
    assert unknown.status_code == 404


# --- flares: the fast search against the plain definition ------------------------------


def flares_by_definition(days, today):
    """The definition, spelled out: every day's baseline rebuilt from the whole history."""
    found = []
    for index, day in enumerate(days):
        start = day.date - dt.timedelta(days=insights.BASELINE_WINDOW_DAYS)
        baseline_days = [d for d in days[:index] if d.date >= start]
        if len(baseline_days) < insights.MIN_BASELINE_DAYS:
            continue
        above = {}
        for measure in ("pain", "fatigue"):
            baseline = statistics.fmean(d.value(measure) for d in baseline_days)
            if day.value(measure) - baseline >= insights.FLARE_MARGIN:
                above[measure] = {"value": round(day.value(measure), 1),
                                  "baseline": round(baseline, 1)}
        if above:
            found.append({"local_date": day.date, "measures": above,
                          "suggestion": insights.FLARE_SUGGESTION, "learn_topic": "pacing"})
    lookback = dt.timedelta(days=insights.FLARE_LOOKBACK_DAYS)
    return [f for f in found[::-1] if today - lookback < f["local_date"] <= today]


# Half points hit the ≥ 2 threshold exactly; thirds are means of several check-ins a day.
scores = st.one_of(
    st.sampled_from([n / 2 for n in range(21)]),
    st.sampled_from([n / 3 for n in range(31)]),
    st.floats(0, 10, allow_nan=False),
)


@st.composite
def histories(draw):
    """Daily values with gaps, some histories dense and some sparse (so baselines hold 0 to
    14 days), and a `today` from a month before the last day to well after it."""
    n = draw(st.integers(0, 120))
    # Gaps are mostly one day, with a per-history share of 2-, 3-, 7- and 20-day gaps.
    gaps = [1] * draw(st.integers(1, 12)) + [2, 3, 7, 20]
    date, days = dt.date(2025, 1, 1), []
    for _ in range(n):
        date += dt.timedelta(days=draw(st.sampled_from(gaps)))
        days.append(insights.Day(date, draw(scores), draw(scores), 5.0, 5.0))
    today = date + dt.timedelta(days=draw(st.integers(-35, 35)))
    return days, today


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(histories())
def test_flares_match_the_definition_on_any_history(history):
    days, today = history
    assert insights.flares(days, today) == flares_by_definition(days, today)

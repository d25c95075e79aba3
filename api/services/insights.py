"""Personal insights from check-ins: pure functions, no database, no clock.

Everything works on one value per local day (the mean of that day's check-ins), so a
person who checks in three times on a bad day does not count three times.
"""

from __future__ import annotations

import datetime as dt
import statistics
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

MEASURES = ("pain", "fatigue", "sleep_quality", "stress")
MIN_CORRELATION_DAYS = 7
MIN_TREND_DAYS = 3
CORRELATION_WINDOW_DAYS = 90
BASELINE_WINDOW_DAYS = 14
MIN_BASELINE_DAYS = 5
FLARE_MARGIN = 2.0
FLARE_LOOKBACK_DAYS = 30
# The averages, trends and best and worst days look at the last week and month.
WEEK_DAYS = 7
MONTH_DAYS = 30
# The most calendar days (today included) any figure looks back over: the patterns' 90
# days, and each of the 30 reported flare days with the 14-day baseline before it. Older
# check-ins change nothing in the payload but the all-time day count and latest day
# (DaysWithData), so the API loads only this many days of rows (checkins.for_insights):
# a person with years of check-ins costs what one with three months does.
HISTORY_DAYS = max(
    CORRELATION_WINDOW_DAYS, MONTH_DAYS, FLARE_LOOKBACK_DAYS + BASELINE_WINDOW_DAYS
)
CAVEAT = "pattern, not proof"
FLARE_SUGGESTION = (
    "This looks like a flare: higher than your usual. It may help to use your flare plan: "
    "ease off, pace yourself and use what has helped before. If this feels new or "
    "different, talk to your doctor."
)


class CheckinLike(Protocol):
    local_date: dt.date
    pain: int
    fatigue: int
    sleep_quality: int
    stress: int


@dataclass(frozen=True)
class DaysWithData:
    """The all-time figures of the payload, for a history longer than HISTORY_DAYS: days
    with check-ins up to today, the first and the latest of them. The database counts
    them (checkins.days_with_data) instead of sending every row."""

    count: int
    first: dt.date | None
    latest: dt.date | None

    @classmethod
    def of(cls, days: Sequence[Day]) -> DaysWithData:
        """From daily_means() output that holds the whole history."""
        if not days:
            return cls(0, None, None)
        return cls(len(days), days[0].date, days[-1].date)


@dataclass(frozen=True)
class Day:
    date: dt.date
    pain: float
    fatigue: float
    sleep_quality: float
    stress: float

    def value(self, measure: str) -> float:
        return getattr(self, measure)

    @property
    def burden(self) -> float:
        """Higher is a harder day; sleep is flipped so that good sleep lowers it."""
        return self.pain + self.fatigue + self.stress + (10 - self.sleep_quality)


def daily_means(checkins: Iterable[CheckinLike]) -> list[Day]:
    by_date: dict[dt.date, list[CheckinLike]] = defaultdict(list)
    for checkin in checkins:
        by_date[checkin.local_date].append(checkin)
    return [
        Day(date, *(statistics.fmean(getattr(c, m) for c in rows) for m in MEASURES))
        for date, rows in sorted(by_date.items())
    ]


def window(days: Sequence[Day], today: dt.date, length: int) -> list[Day]:
    """Days in the `length` calendar days ending with `today` (inclusive)."""
    first = today - dt.timedelta(days=length - 1)
    return [day for day in days if first <= day.date <= today]


def slope_per_day(days: Sequence[Day], measure: str) -> float | None:
    """Least-squares slope of the daily values against the calendar (points per day)."""
    if len(days) < MIN_TREND_DAYS:
        return None
    x = [day.date.toordinal() for day in days]
    y = [day.value(measure) for day in days]
    return statistics.linear_regression(x, y).slope


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r, or None when either series is flat (r is undefined then)."""
    if len(xs) < 2 or len(set(xs)) < 2 or len(set(ys)) < 2:
        return None
    return statistics.correlation(xs, ys)


def same_day_pairs(days: Sequence[Day], a: str, b: str) -> tuple[list[float], list[float]]:
    return [d.value(a) for d in days], [d.value(b) for d in days]


def next_day_pairs(days: Sequence[Day], a: str, b: str) -> tuple[list[float], list[float]]:
    """(a on day D, b on day D+1) for every D whose next calendar day also has data."""
    by_date = {day.date: day for day in days}
    xs, ys = [], []
    for day in days:
        following = by_date.get(day.date + dt.timedelta(days=1))
        if following is not None:
            xs.append(day.value(a))
            ys.append(following.value(b))
    return xs, ys


def _strength(r: float) -> str:
    size = abs(r)
    if size < 0.1:
        return "no clear"
    if size < 0.3:
        return "a weak"
    if size < 0.5:
        return "a moderate"
    return "a strong"


def correlation(
    xs: list[float], ys: list[float], *, learn_topic: str, describe: str, lagged: bool = False
) -> dict[str, Any]:
    n_days = len(xs)
    result: dict[str, Any] = {
        "r": None,
        "n_days": n_days,
        "caveat": CAVEAT,
        "learn_topic": learn_topic,
    }
    if n_days < MIN_CORRELATION_DAYS:
        more = MIN_CORRELATION_DAYS - n_days
        # A lagged pair needs two consecutive days, so say "in a row" for those.
        days = "day" if more == 1 else "days"
        result["message"] = (
            f"Check in on {more} more {days}{' in a row' if lagged else ''} to see this pattern."
        )
        return result
    r = pearson(xs, ys)
    if r is None:
        result["message"] = "Your scores haven't changed enough yet to show a pattern."
        return result
    result["r"] = round(r, 2)
    direction = "higher" if r > 0 else "lower"
    if abs(r) < 0.1:
        result["message"] = f"No clear link so far ({n_days} days). {CAVEAT.capitalize()}."
    else:
        result["message"] = (
            f"{describe.format(direction=direction)} This is {_strength(r)} link over "
            f"{n_days} days; it's a {CAVEAT}."
        )
    return result


def correlations(days: Sequence[Day]) -> dict[str, dict[str, Any]]:
    return {
        "pain_fatigue": correlation(
            *same_day_pairs(days, "pain", "fatigue"),
            learn_topic="pain_fatigue_link",
            describe="On days your pain is higher, your fatigue tends to be {direction}.",
        ),
        "sleep_next_day_pain": correlation(
            *next_day_pairs(days, "sleep_quality", "pain"),
            learn_topic="sleep_link",
            lagged=True,
            describe="After nights you rate your sleep better, your pain the next day tends "
            "to be {direction}.",
        ),
        "sleep_next_day_fatigue": correlation(
            *next_day_pairs(days, "sleep_quality", "fatigue"),
            learn_topic="sleep_link",
            lagged=True,
            describe="After nights you rate your sleep better, your fatigue the next day "
            "tends to be {direction}.",
        ),
    }


def flares(days: Sequence[Day], today: dt.date) -> list[dict[str, Any]]:
    """The last 30 days' flares, newest first: days whose pain or fatigue is ≥ 2 points
    above the mean of the previous 14 days.

    The baseline needs at least 5 days with data, so the first week never "flares".
    `days` is daily_means() output: oldest first, one per date. Only the days that can be
    reported are evaluated, and each finds its baseline window by bisection, so the cost
    grows with the 30 reported days, not with the square of the whole history.
    """
    dates = [day.date for day in days]
    first_reported = today - dt.timedelta(days=FLARE_LOOKBACK_DAYS - 1)
    found = []
    for index in range(bisect_left(dates, first_reported), bisect_right(dates, today)):
        day = days[index]
        since = day.date - dt.timedelta(days=BASELINE_WINDOW_DAYS)
        baseline_days = days[bisect_left(dates, since, 0, index) : index]
        if len(baseline_days) < MIN_BASELINE_DAYS:
            continue
        above = {}
        for measure in ("pain", "fatigue"):
            baseline = statistics.fmean(d.value(measure) for d in baseline_days)
            if day.value(measure) - baseline >= FLARE_MARGIN:
                above[measure] = {
                    "value": round(day.value(measure), 1),
                    "baseline": round(baseline, 1),
                }
        if above:
            found.append(
                {
                    "local_date": day.date,
                    "measures": above,
                    "suggestion": FLARE_SUGGESTION,
                    "learn_topic": "pacing",
                }
            )
    return found[::-1]


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def measure_summary(days: Sequence[Day], today: dt.date, measure: str) -> dict[str, Any]:
    last7, last30 = window(days, today, WEEK_DAYS), window(days, today, MONTH_DAYS)
    return {
        "avg_7d": _rounded(statistics.fmean(d.value(measure) for d in last7), 1) if last7 else None,
        "avg_30d": (
            _rounded(statistics.fmean(d.value(measure) for d in last30), 1) if last30 else None
        ),
        "trend_7d": _rounded(slope_per_day(last7, measure), 2),
        "trend_30d": _rounded(slope_per_day(last30, measure), 2),
        "days_7d": len(last7),
        "days_30d": len(last30),
    }


def _day_out(day: Day) -> dict[str, Any]:
    return {"local_date": day.date, **{m: round(day.value(m), 1) for m in MEASURES}}


def best_and_worst(days: Sequence[Day]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Lowest and highest combined burden; ties go to the most recent day."""
    if len(days) < 2:
        return None, None
    newest_first = sorted(days, key=lambda d: d.date, reverse=True)
    best = min(newest_first, key=lambda d: d.burden)
    worst = max(newest_first, key=lambda d: d.burden)
    if best.burden == worst.burden:
        return None, None
    return _day_out(best), _day_out(worst)


def summarise(
    checkins: Iterable[CheckinLike], today: dt.date, history: DaysWithData | None = None
) -> dict[str, Any]:
    """The whole insights payload for `GET /api/v1/me/insights`.

    `checkins` must hold at least the HISTORY_DAYS days ending `today`; `history` gives the
    all-time figures when they hold no more (without it, they are counted from `checkins`).
    """
    days = [d for d in daily_means(checkins) if d.date <= today]
    history = history or DaysWithData.of(days)
    last30 = window(days, today, MONTH_DAYS)
    best, worst = best_and_worst(last30)
    recent_flares = flares(days, today)
    latest = history.latest
    return {
        "as_of": today,
        "n_days": history.count,
        "latest_local_date": latest,
        "measures": {m: measure_summary(days, today, m) for m in MEASURES},
        "best_day": best,
        "worst_day": worst,
        "correlations": correlations(window(days, today, CORRELATION_WINDOW_DAYS)),
        "flare": next((f for f in recent_flares if f["local_date"] == latest), None),
        "flares": recent_flares,
    }

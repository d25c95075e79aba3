"""Check-ins and weekly checks the action server's outbox delivers late keep the day they
were answered (`recorded_at`), in the person's own time zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from api.services.checkins import local_date
from tests.api.conftest import SERVICE, checkin_body

CHECKINS = "/api/v1/internal/checkins"
WEEKLY = "/api/v1/internal/weekly-checks"
UTC = dt.timezone.utc


def utc_now() -> dt.datetime:
    return dt.datetime.now(UTC)


def ten_to_last_midnight(zone: str) -> dt.datetime:
    """23:50 local time yesterday in `zone`, as the action server sends it (UTC, ISO 8601).
    Always in the past and always on the day before today there, whatever the hour."""
    tz = zoneinfo.ZoneInfo(zone)
    midnight = dt.datetime.combine(dt.datetime.now(tz).date(), dt.time(), tzinfo=tz)
    return (midnight - dt.timedelta(minutes=10)).astimezone(UTC)


def today_in(zone: str) -> dt.date:
    return dt.datetime.now(zoneinfo.ZoneInfo(zone)).date()


def stamp(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Pacific/Auckland"])
def test_a_checkin_delivered_after_midnight_keeps_the_day_it_was_typed(
    client, internal, alice, zone
):
    now = internal.post(CHECKINS, json=checkin_body(alice.user_id, "now", timezone=zone),
                        headers=SERVICE).json()
    assert now["local_date"] == today_in(zone).isoformat()

    # Typed at 23:50 yesterday, held in the outbox, delivered now (after the one above).
    typed = ten_to_last_midnight(zone)
    late = internal.post(
        CHECKINS,
        json=checkin_body(alice.user_id, "late", timezone=zone, recorded_at=stamp(typed)),
        headers=SERVICE,
    )
    assert late.status_code == 201, late.text
    row = late.json()
    assert row["local_date"] == (today_in(zone) - dt.timedelta(days=1)).isoformat()
    assert instant(row["created_at"]) == typed
    # Lists follow the time people answered, not the order the rows arrived in.
    mine = client.get("/api/v1/me/checkins", headers=alice.headers).json()
    assert [r["id"] for r in mine] == [now["id"], row["id"]]


def test_any_utc_offset_names_the_same_moment(internal, alice):
    typed = ten_to_last_midnight("Pacific/Auckland")
    in_auckland = typed.astimezone(zoneinfo.ZoneInfo("Pacific/Auckland"))
    assert in_auckland.hour == 23  # sent with +12:00 or +13:00, not as UTC
    row = internal.post(
        CHECKINS,
        json=checkin_body(alice.user_id, recorded_at=in_auckland.isoformat(),
                          timezone="Pacific/Auckland"),
        headers=SERVICE,
    ).json()
    assert instant(row["created_at"]) == typed
    assert row["local_date"] == in_auckland.date().isoformat()


def test_a_replay_never_moves_the_checkin_to_another_day(internal, alice):
    typed = ten_to_last_midnight("Europe/London")
    body = checkin_body(alice.user_id, "once", timezone="Europe/London", recorded_at=stamp(typed))
    first = internal.post(CHECKINS, json=body, headers=SERVICE).json()
    # The note arrives later, re-sent with a later time (or none): the row stays put.
    for recorded_at in (stamp(utc_now()), None):
        replay = internal.post(
            CHECKINS,
            json={**body, "note": "slept badly", "recorded_at": recorded_at},
            headers=SERVICE,
        )
        assert replay.status_code == 200
        assert (replay.json()["created_at"], replay.json()["local_date"]) == (
            first["created_at"],
            first["local_date"],
        )
    assert replay.json()["note"] == "slept badly"


@pytest.mark.parametrize(
    ("recorded_at", "says"),
    [
        ("2026-11-30T23:50:00", "UTC offset"),  # naive: which 23:50?
        ("2026-11-30", "UTC offset"),  # a date is not a moment
        (stamp(utc_now() + dt.timedelta(minutes=10)), "future"),
        (stamp(utc_now() + dt.timedelta(days=400)), "future"),
        ("1999-12-31T23:59:59+00:00", "before 2000"),
        ("0001-01-01T00:00:00+14:00", "out of range"),
        ("yesterday", "datetime"),
    ],
)
@pytest.mark.parametrize("url", [CHECKINS, WEEKLY])
def test_naive_future_or_absurd_times_are_422_and_nothing_is_stored(
    client, internal, alice, url, recorded_at, says
):
    body = (
        checkin_body(alice.user_id, recorded_at=recorded_at)
        if url == CHECKINS
        else {"user_id": alice.user_id, "idempotency_key": "w", "enjoyment": 4, "activity": 5,
              "recorded_at": recorded_at}
    )
    response = internal.post(url, json=body, headers=SERVICE)
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"][-1] == "recorded_at"
    assert says in problem["msg"]
    for listing in ("/api/v1/me/checkins", "/api/v1/me/weekly-checks"):
        assert client.get(listing, headers=alice.headers).json() == []


def test_a_clock_a_little_fast_is_clamped_to_now(internal, alice):
    before = utc_now()
    ahead = before + dt.timedelta(minutes=2)
    response = internal.post(CHECKINS, json=checkin_body(alice.user_id, recorded_at=stamp(ahead)),
                             headers=SERVICE)
    assert response.status_code == 201
    created = instant(response.json()["created_at"])
    assert before <= created <= utc_now() < ahead


def test_a_late_weekly_check_keeps_its_day_and_its_week(internal, alice):
    zone = "America/New_York"
    typed = ten_to_last_midnight(zone)
    yesterday = today_in(zone) - dt.timedelta(days=1)
    for key, when, pain in (("before", typed - dt.timedelta(hours=1), 3), ("after", None, 9)):
        body = checkin_body(alice.user_id, key, pain=pain, timezone=zone)
        if when is not None:
            body["recorded_at"] = stamp(when)
        assert internal.post(CHECKINS, json=body, headers=SERVICE).status_code == 201

    weekly = {"user_id": alice.user_id, "idempotency_key": "w1", "enjoyment": 4, "activity": 5,
              "timezone": zone, "recorded_at": stamp(typed)}
    response = internal.post(WEEKLY, json=weekly, headers=SERVICE)
    assert response.status_code == 201, response.text
    row = response.json()
    assert row["local_date"] == yesterday.isoformat()
    assert instant(row["created_at"]) == typed
    # Its pain item is the week it was answered in: today's check-in came after it.
    assert row["pain"] == 3.0

    replay = internal.post(WEEKLY, json={**weekly, "recorded_at": stamp(utc_now())},
                           headers=SERVICE)
    assert replay.status_code == 200
    assert replay.json() == row


# Fixed instants, so these hold at any hour the suite runs. Kiritimati is UTC+14 all year
# and Los Angeles is UTC-8 in January: their day differs from UTC's for part of every day.
@pytest.mark.parametrize("hour", range(24))
def test_local_date_is_the_day_in_the_zone_at_every_hour(hour):
    moment = dt.datetime(2026, 1, 10, hour, 30, tzinfo=UTC)
    assert local_date(moment, "Pacific/Kiritimati") == (moment + dt.timedelta(hours=14)).date()
    assert local_date(moment, "America/Los_Angeles") == (moment - dt.timedelta(hours=8)).date()
    assert local_date(moment, None) == dt.date(2026, 1, 10)
    assert local_date(moment.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo")), None) == moment.date()

"""Progress in chat and the user's own data, against a real API."""

from __future__ import annotations

import datetime as dt

import requests
from rasa_sdk.executor import CollectingDispatcher

from actions.my_data import ActionConfirmDelete, ActionDeleteData, ActionExportData
from actions.progress import ActionShowProgress, trend_word
from tests.support.trackers import tracker_for


async def test_no_checkins_yet_offers_one(api, user_id):
    dispatcher = CollectingDispatcher()
    await ActionShowProgress().run(dispatcher, tracker_for(user_id, {}), {})
    assert "no check-ins yet" in dispatcher.messages[0]["text"]
    assert dispatcher.messages[0]["buttons"][0]["payload"] == "/start_checkin"


async def test_progress_reports_this_users_averages(api, user_id):
    env = api.env()
    for key, pain in (("a", 4), ("b", 6)):
        requests.post(
            f"{api.internal_api_url}/api/v1/internal/checkins",
            headers={"X-Service-Key": env["SERVICE_KEY"]},
            json={"user_id": user_id, "idempotency_key": key, "pain": pain, "fatigue": 7,
                  "sleep_quality": 5, "stress": 2},
            timeout=10,
        ).raise_for_status()
    dispatcher = CollectingDispatcher()
    await ActionShowProgress().run(dispatcher, tracker_for(user_id, {}), {})
    text = dispatcher.messages[0]["text"]
    assert "pain 5.0" in text and "fatigue 7.0" in text
    assert "PEG" not in text  # no weekly answers yet
    assert any(m.get("custom", {}).get("url") == "/insights.html" for m in dispatcher.messages)

    requests.post(
        f"{api.internal_api_url}/api/v1/internal/weekly-checks",
        headers={"X-Service-Key": env["SERVICE_KEY"]},
        json={"user_id": user_id, "idempotency_key": "w", "enjoyment": 6, "activity": 4},
        timeout=10,
    ).raise_for_status()
    dispatcher = CollectingDispatcher()
    await ActionShowProgress().run(dispatcher, tracker_for(user_id, {}), {})
    assert "Your PEG score is 5.0" in dispatcher.messages[0]["text"]


def post_history(api, user_id, days: list[tuple[int, int, int, int]], last_ago: int = 0) -> None:
    """One check-in a day at this time of day (UTC), the last one `last_ago` days ago (now by
    default): (pain, fatigue, sleep, stress). Anchored on now rather than a fixed hour, so
    "today" is today whatever the hour the suite runs."""
    env = api.env()
    today = dt.datetime.now(dt.timezone.utc)
    for ago, (pain, fatigue, sleep, stress) in zip(
        range(len(days) - 1 + last_ago, last_ago - 1, -1), days, strict=True
    ):
        requests.post(
            f"{api.internal_api_url}/api/v1/internal/checkins",
            headers={"X-Service-Key": env["SERVICE_KEY"]},
            json={"user_id": user_id, "idempotency_key": f"d{ago}", "pain": pain,
                  "fatigue": fatigue, "sleep_quality": sleep, "stress": stress,
                  "timezone": "UTC",
                  "recorded_at": (today - dt.timedelta(days=ago)).isoformat()},
            timeout=10,
        ).raise_for_status()


# Eleven days in a row: fatigue follows pain, a good night comes before a day with less
# pain, and the last day flares.
PAIN = [3 + i % 3 for i in range(10)] + [9]
SLEEP = [max(1, 9 - 2 * (next_pain - 3)) for next_pain in PAIN[1:]] + [2]
HISTORY = [
    (pain, min(pain + 1, 9), sleep, 2) for pain, sleep in zip(PAIN, SLEEP, strict=True)
]


async def test_progress_shows_the_users_patterns_as_the_api_words_them(api, user_id):
    post_history(api, user_id, HISTORY)
    dispatcher = CollectingDispatcher()
    await ActionShowProgress().run(dispatcher, tracker_for(user_id, {}), {})
    summary, flare, patterns = dispatcher.messages

    assert summary["text"].startswith("Your last 7 days, on average: pain ")
    assert "Over 30 days: pain " in summary["text"]
    assert "your easiest day was" in summary["text"]

    assert flare["text"].startswith("Today: pain 9 against your usual ")
    assert "flare" in flare["text"]
    assert flare["buttons"][0] == {
        "title": "Make a flare plan", "payload": '/choose_technique{"technique_id": "flare_plan"}'
    }

    said = patterns["text"]
    assert "On days your pain is higher, your fatigue tends to be higher." in said
    assert "over 11 days; it's a pattern, not proof." in said
    assert "After nights you rate your sleep better" in said
    assert "over 10 days" in said  # ten next-day pairs in eleven days
    assert ". pattern" not in said and "proof. pattern" not in said
    assert {b["title"]: b["payload"] for b in patterns["buttons"]} == {
        "Why do they go together?": '/learn_topic{"topic": "pain_fatigue_link"}',
        "How does sleep affect this?": '/learn_topic{"topic": "sleep_link"}',
    }
    assert patterns["custom"]["url"] == "/insights.html"


async def test_too_few_days_say_how_many_more_are_needed(api, user_id):
    post_history(api, user_id, HISTORY[:3])
    dispatcher = CollectingDispatcher()
    await ActionShowProgress().run(dispatcher, tracker_for(user_id, {}), {})
    summary, patterns = dispatcher.messages
    assert "Over 30 days" not in summary["text"]
    assert patterns["text"] == (
        "Check in on 4 more days to see this pattern. "
        "Check in on 5 more days in a row to see this pattern."
    )
    assert [b["title"] for b in patterns["buttons"]] == ["Suggest a technique"]


async def test_a_checkin_that_flares_offers_a_flare_plan(api, user_id):
    from actions.checkin import ActionAskCheckinNote, ActionSubmitCheckin
    from actions.techniques import catalogue

    post_history(api, user_id, HISTORY[:5], last_ago=1)
    today = {"pain": 9.0, "fatigue": 8.0, "sleep_quality": 2.0, "stress": 6.0, "timezone": "UTC"}
    ask = await ActionAskCheckinNote().run(CollectingDispatcher(), tracker_for(user_id, today),
                                           {})
    key = next(e["value"] for e in ask if e["event"] == "slot" and e["name"] == "checkin_key")
    dispatcher = CollectingDispatcher()
    await ActionSubmitCheckin().run(
        dispatcher, tracker_for(user_id, {**today, "checkin_note": "", "checkin_key": key}), {}
    )
    done, flare = dispatcher.messages
    assert done["text"].startswith("All done")
    assert flare["text"].startswith("Today: pain 9 against your usual ")
    assert [b["title"] for b in flare["buttons"]] == [
        "Make a flare plan", "Suggest a technique", "Show my progress"
    ]
    assert catalogue()["flare_plan"].steps


def test_trend_words_respect_which_way_is_better():
    assert trend_word(0.5, "pain") == "going up"
    assert trend_word(0.5, "sleep_quality") == "improving"
    assert trend_word(-0.5, "sleep_quality") == "getting worse"
    assert trend_word(0.01, "stress") == "steady"


async def test_export_gives_links_and_erase_needs_confirmation():
    dispatcher = CollectingDispatcher()
    await ActionExportData().run(dispatcher, tracker_for("u", {}), {})
    links = dispatcher.messages[0]["custom"]["links"]
    assert {link["format"] for link in links} == {"csv", "pdf", "json"}

    dispatcher = CollectingDispatcher()
    await ActionConfirmDelete().run(dispatcher, tracker_for("u", {}), {})
    assert "can't be undone" in dispatcher.messages[0]["text"]
    assert {b["payload"] for b in dispatcher.messages[0]["buttons"]} == {"/affirm", "/deny"}

    dispatcher = CollectingDispatcher()
    await ActionDeleteData().run(dispatcher, tracker_for("u", {}), {})
    assert dispatcher.messages[0]["custom"] == {"type": "erase"}

"""Progress in chat and the user's own data, against a real API."""

from __future__ import annotations

import requests
from rasa_sdk.executor import CollectingDispatcher

from actions.my_data import ActionConfirmDelete, ActionDeleteData, ActionExportData
from actions.progress import ActionShowProgress, correlation_line, trend_word
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
            f"{api.api_url}/api/v1/internal/checkins",
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
        f"{api.api_url}/api/v1/internal/weekly-checks",
        headers={"X-Service-Key": env["SERVICE_KEY"]},
        json={"user_id": user_id, "idempotency_key": "w", "enjoyment": 6, "activity": 4},
        timeout=10,
    ).raise_for_status()
    dispatcher = CollectingDispatcher()
    await ActionShowProgress().run(dispatcher, tracker_for(user_id, {}), {})
    assert "Your PEG score is 5.0" in dispatcher.messages[0]["text"]


def test_correlation_is_explained_with_days_and_caveat():
    text, topic = correlation_line(
        {"pain_fatigue": {"r": 0.71, "n_days": 14, "caveat": "A pattern, not proof.",
                          "learn_topic": "pain_fatigue_link", "message": ""}}
    )
    assert "14 days" in text and "fatigue was usually higher" in text and "not proof" in text
    assert topic == "pain_fatigue_link"
    text, topic = correlation_line(
        {"pain_fatigue": {"r": None, "n_days": 3, "message": "4 more days needed",
                          "caveat": "", "learn_topic": "pain_fatigue_link"}}
    )
    assert text == "4 more days needed" and topic is None


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

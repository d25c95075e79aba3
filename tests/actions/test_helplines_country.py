"""Which country's helplines a user gets (actions/helplines.py resolve_country) and the
sentence that says so under the crisis contacts.

Order: the `locale` slot > the time zone (metadata, then the `timezone` slot) > the
browser language > CADENCE_LOCALE > default_country. Tracker.from_dict fixtures, no API.
"""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker

from actions.helplines import country_sentence, helpline_set, resolve_country


def make_tracker(
    metadata: dict | None = None, locale: str | None = None, timezone: str | None = None
) -> Tracker:
    latest = {"text": "", "intent": {"name": "crisis", "confidence": 1.0}, "entities": []}
    events = [{"event": "user", "text": "", "parse_data": latest, "metadata": metadata or {}}]
    return Tracker.from_dict(
        {
            "sender_id": "user-1",
            "slots": {"locale": locale, "timezone": timezone},
            "latest_message": latest,
            "events": events,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


@pytest.fixture(autouse=True)
def no_env(monkeypatch):
    monkeypatch.delenv("CADENCE_LOCALE", raising=False)


# ---------------------------------------------------------------- resolve_country


def test_uk_time_zone_beats_an_en_us_browser() -> None:
    tracker = make_tracker({"locale": "en-US", "timezone": "Europe/London"})
    assert resolve_country(tracker) == ("GB", "timezone")


def test_us_time_zone_beats_an_en_gb_browser() -> None:
    tracker = make_tracker({"locale": "en-GB", "timezone": "America/New_York"})
    assert resolve_country(tracker) == ("US", "timezone")


def test_the_timezone_slot_when_the_message_has_none() -> None:
    tracker = make_tracker({"locale": "en-US"}, timezone="Europe/Dublin")
    assert resolve_country(tracker) == ("IE", "timezone")


def test_message_time_zone_before_the_timezone_slot() -> None:
    tracker = make_tracker({"timezone": "Europe/Berlin"}, timezone="Europe/Paris")
    assert resolve_country(tracker) == ("DE", "timezone")


def test_language_when_the_time_zone_is_unknown_or_missing() -> None:
    assert resolve_country(make_tracker({"locale": "en-AU"})) == ("AU", "language")
    tracker = make_tracker({"locale": "en-NZ", "timezone": "Asia/Tokyo"})
    assert resolve_country(tracker) == ("NZ", "language")


def test_the_slot_wins_over_everything() -> None:
    tracker = make_tracker(
        {"locale": "en-US", "timezone": "America/Chicago"}, locale="GB", timezone="US/Pacific"
    )
    assert resolve_country(tracker) == ("GB", "slot")
    assert resolve_country(make_tracker({"timezone": "Europe/London"}, locale="UK")) == (
        "GB",
        "slot",
    )


def test_the_slot_can_ask_for_the_international_set() -> None:
    tracker = make_tracker({"timezone": "Europe/London"}, locale="default")
    assert resolve_country(tracker) == ("default", "slot")


def test_no_metadata_gives_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("CADENCE_LOCALE", "DE")
    assert resolve_country(make_tracker()) == ("DE", "environment")


def test_no_metadata_and_no_environment_gives_the_default() -> None:
    assert resolve_country(make_tracker()) == ("GB", "default")


def test_metadata_beats_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("CADENCE_LOCALE", "DE")
    assert resolve_country(make_tracker({"timezone": "Europe/Madrid"})) == ("ES", "timezone")
    assert resolve_country(make_tracker({"locale": "fr-FR"})) == ("FR", "language")


def test_a_zone_with_no_checked_list_gives_the_international_set() -> None:
    tracker = make_tracker({"locale": "de-DE", "timezone": "Europe/Zurich"})
    assert resolve_country(tracker) == ("default", "timezone")


def test_session_start_metadata_is_used_when_the_message_has_none() -> None:
    latest = {"text": "", "intent": {"name": "crisis", "confidence": 1.0}, "entities": []}
    tracker = Tracker.from_dict(
        {
            "sender_id": "user-1",
            "slots": {
                "locale": None,
                "timezone": None,
                "session_started_metadata": {"locale": "en-US", "timezone": "Europe/London"},
            },
            "latest_message": latest,
            "events": [{"event": "user", "text": "", "parse_data": latest, "metadata": {}}],
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )
    assert resolve_country(tracker) == ("GB", "timezone")


# ---------------------------------------------------------------- country_sentence


def _sentence(code: str, source: str) -> str:
    code, entry = helpline_set(code)
    return country_sentence(code, entry, source)


def test_sentence_names_the_country_and_how_it_was_chosen() -> None:
    assert _sentence("GB", "timezone") == (
        "These are contacts for the United Kingdom (from your time zone). "
        "In another country? Tell me where you are."
    )
    assert "for Ireland (you told me you're there)" in _sentence("IE", "slot")
    assert "for the United States (from your browser's language)" in _sentence("US", "language")
    assert "for Germany (this service's default country)" in _sentence("DE", "environment")
    assert "for the United Kingdom (my default, as I don't know where you are)" in _sentence(
        "GB", "default"
    )
    assert "the Netherlands" in _sentence("NL", "timezone")


@pytest.mark.parametrize("source", ["slot", "timezone", "language", "default"])
def test_sentence_for_the_international_set(source: str) -> None:
    text = _sentence("default", source)
    assert "international contacts" in text
    assert "Tell me which country you're in" in text
    assert "contacts for International" not in text


def test_every_country_and_source_gives_a_sentence_that_invites_a_correction() -> None:
    from actions.helplines import load_helplines

    for code in load_helplines()["countries"]:
        for source in ("slot", "timezone", "language", "environment", "default"):
            text = _sentence(code, source)
            assert text.endswith(("Tell me where you are.", "I'll look again.")), (code, source)


def test_resolve_and_sentence_together() -> None:
    tracker = make_tracker({"locale": "en-US", "timezone": "Europe/London"})
    code, source = resolve_country(tracker)
    code, entry = helpline_set(code)
    assert "United Kingdom (from your time zone)" in country_sentence(code, entry, source)

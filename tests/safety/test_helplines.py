"""data/safety/helplines.yml: every number in its country's format, the literal numbers
from CONTENT.md, the default set and the locale mapping."""

from __future__ import annotations

import re
import zoneinfo
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DATA = yaml.safe_load((ROOT / "data" / "safety" / "helplines.yml").read_text(encoding="utf-8"))
COUNTRIES = DATA["countries"]
EU_CODES = ["IE", "DE", "FR", "ES", "IT", "NL", "EU"]

# Allowed formats per country, for calls and texts.
FORMATS = {
    "GB": {
        "call": [r"999", r"116 \d{3}"],  # emergency; UK freephone 116 xxx helplines
        "text": [r"\d{5}"],  # 5-digit SMS short codes
    },
    "US": {"call": [r"911", r"988"], "text": [r"988", r"\d{6}"]},  # 6-digit short code
    "CA": {"call": [r"911", r"988"], "text": [r"988"]},
    "AU": {"call": [r"000", r"13 \d{2} \d{2}"], "text": [r"04\d{2} \d{2} \d{2} \d{2}"]},
    "NZ": {"call": [r"111", r"1737"], "text": [r"1737"]},
    "IE": {"call": [r"112", r"116 \d{3}"], "text": []},
    **{code: {"call": [r"112"], "text": []} for code in ["DE", "FR", "ES", "IT", "NL", "EU"]},
    "default": {"call": [r"112"], "text": []},
}


def _numbers(code: str, kind: str) -> list[str]:
    return [c[kind] for c in COUNTRIES[code]["contacts"] if c.get(kind)]


def _contact(code: str, name_part: str) -> dict:
    return next(c for c in COUNTRIES[code]["contacts"] if name_part in c["name"])


@pytest.mark.parametrize("code", sorted(COUNTRIES))
def test_every_number_matches_its_country_format(code: str) -> None:
    assert code in FORMATS, f"add formats for {code} before adding its numbers"
    for kind in ("call", "text"):
        for number in _numbers(code, kind):
            assert isinstance(number, str), f"{code} {kind} {number!r} must be a quoted string"
            assert any(re.fullmatch(f, number) for f in FORMATS[code][kind]), (code, kind, number)
    emergency = COUNTRIES[code].get("emergency")
    if emergency:
        assert emergency in _numbers(code, "call"), "the emergency number is also a contact"


def test_content_md_numbers_exactly() -> None:
    gb, us = COUNTRIES["GB"], COUNTRIES["US"]
    assert gb["emergency"] == "999"
    assert _contact("GB", "Samaritans")["call"] == "116 123"
    assert (_contact("GB", "Shout")["text"], _contact("GB", "Shout")["text_body"]) == (
        "85258",
        "SHOUT",
    )
    assert us["emergency"] == "911"
    lifeline = _contact("US", "988")
    assert (lifeline["call"], lifeline["text"]) == ("988", "988")
    ctl = _contact("US", "Crisis Text Line")
    assert (ctl["text"], ctl["text_body"]) == ("741741", "HOME")
    for code in EU_CODES:
        assert COUNTRIES[code]["emergency"] == "112"
    assert _contact("IE", "Samaritans")["call"] == "116 123"
    assert COUNTRIES["CA"]["emergency"] == "911" and _contact("CA", "9-8-8")["text"] == "988"
    assert COUNTRIES["AU"]["emergency"] == "000"
    assert (_contact("AU", "Lifeline")["call"], _contact("AU", "Lifeline")["text"]) == (
        "13 11 14",
        "0477 13 11 14",
    )
    assert COUNTRIES["NZ"]["emergency"] == "111"
    assert (_contact("NZ", "1737")["call"], _contact("NZ", "1737")["text"]) == ("1737", "1737")


def test_call_and_text_options_where_they_exist() -> None:
    for code in ("GB", "US", "CA", "AU", "NZ"):
        assert _numbers(code, "call") and _numbers(code, "text"), code


def test_eu_countries_without_a_certain_national_line_say_so() -> None:
    for code in ("DE", "FR", "ES", "IT", "NL", "EU"):
        entry = COUNTRIES[code]
        assert entry["national_line_listed"] is False
        assert any("findahelpline.com" in c.get("url", "") for c in entry["contacts"])


def test_default_international_set() -> None:
    default = COUNTRIES["default"]
    text = yaml.safe_dump(default).lower()
    assert "local emergency number" in text
    assert "112" in text
    assert any(c.get("url") == "https://findahelpline.com" for c in default["contacts"])
    assert DATA["default_country"] == "GB"


def test_every_contact_has_the_widget_shape() -> None:
    for code, entry in COUNTRIES.items():
        for contact in entry["contacts"]:
            assert contact.get("name"), code
            assert contact.get("call") or contact.get("text") or contact.get("url"), contact
            if contact.get("text_body"):
                assert contact.get("text"), contact


def test_every_mapping_target_exists() -> None:
    mapping = DATA["locale_mapping"]
    aliases = mapping["country_aliases"]
    for section in ("languages", "timezones", "names"):
        for key, target in mapping[section].items():
            resolved = aliases.get(target, target)
            assert resolved in COUNTRIES or target in aliases, (section, key, target)


def test_timezones_are_real_iana_names() -> None:
    available = zoneinfo.available_timezones()
    if not available:
        pytest.skip("no tz database on this machine")
    unknown = [z for z in DATA["locale_mapping"]["timezones"] if z not in available]
    assert not unknown


@pytest.mark.parametrize(
    ("tag", "country"),
    [
        ("en-GB", "GB"),
        ("en_GB", "GB"),
        ("cy", "GB"),
        ("en-US", "US"),
        ("es-US", "US"),
        ("en-IE", "IE"),
        ("de-DE", "DE"),
        ("de-AT", "EU"),
        ("fr-CA", "CA"),
        ("en-AU", "AU"),
        ("en-NZ", "NZ"),
        ("pt-PT", "EU"),
        ("ja-JP", "default"),
        ("en", None),
        ("", None),
    ],
)
def test_language_tags(tag: str, country: str | None) -> None:
    from actions.helplines import country_from_language_tag

    assert country_from_language_tag(tag) == country


@pytest.mark.parametrize(
    ("zone", "country"),
    [
        ("Europe/London", "GB"),
        ("Europe/Dublin", "IE"),
        ("America/New_York", "US"),
        ("America/Los_Angeles", "US"),
        ("America/Toronto", "CA"),
        ("Australia/Sydney", "AU"),
        ("Pacific/Auckland", "NZ"),
        ("Europe/Lisbon", "EU"),
        ("Asia/Tokyo", None),
    ],
)
def test_timezones(zone: str, country: str | None) -> None:
    from actions.helplines import country_from_timezone

    assert country_from_timezone(zone) == country


@pytest.mark.parametrize(
    ("name", "country"),
    [
        ("the UK", "GB"),
        ("England", "GB"),
        ("USA", "US"),
        ("the States", "US"),
        ("ireland", "IE"),
        ("Holland", "NL"),
        ("Portugal", "EU"),
        ("new zealand", "NZ"),
        ("Narnia", None),
    ],
)
def test_country_names(name: str, country: str | None) -> None:
    from actions.helplines import country_from_name

    assert country_from_name(name) == country

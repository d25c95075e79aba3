"""data/safety/helplines.yml: every number in its country's format, the literal numbers
from CONTENT.md, the checked national lines, the urgent/poisons fields and their phrases,
the default set and the locale mapping."""

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
FIELDS = ("urgent", "poisons", "mental_health_urgent")
REVIEWED = "2026-12-02"

# Allowed formats per country, for calls and texts (contacts and the per-country fields).
FORMATS = {
    "GB": {
        # emergency; NHS 111; UK freephone 116 xxx helplines
        "call": [r"999", r"111", r"116 \d{3}"],
        "text": [r"\d{5}"],  # 5-digit SMS short codes
    },
    "US": {
        "call": [r"911", r"988", r"1-800-\d{3}-\d{4}"],  # toll-free 1-800
        "text": [r"988", r"\d{6}"],  # 6-digit short code
    },
    "CA": {"call": [r"911", r"988", r"1-8[0-9]{2}-\d{3}-\d{4}"], "text": [r"988"]},
    "AU": {"call": [r"000", r"13 \d{2} \d{2}"], "text": [r"04\d{2} \d{2} \d{2} \d{2}"]},
    "NZ": {"call": [r"111", r"1737", r"0800 \d{3} \d{3}"], "text": [r"1737"]},
    "IE": {
        "call": [r"112", r"116 \d{3}", r"01 \d{3} \d{4}"],  # Dublin landline
        "text": [r"\d{5}"],  # 5-digit SMS short codes
    },
    "DE": {
        "call": [r"112", r"116 117", r"0800 111 0 \d{3}", r"0\d{2,4} \d{4,8}"],  # area code
        "text": [],
    },
    "FR": {"call": [r"112", r"15", r"3114"], "text": []},
    "ES": {"call": [r"112", r"024", r"9\d \d{3} \d{2} \d{2}"], "text": []},
    "NL": {"call": [r"112", r"113", r"0800 0113"], "text": []},
    **{code: {"call": [r"112"], "text": []} for code in ["IT", "EU"]},
    "default": {"call": [r"112"], "text": []},
}


def _lines(code: str) -> list[dict]:
    entry = COUNTRIES[code]
    return [*entry["contacts"], *(entry[f] for f in FIELDS if entry.get(f))]


def _numbers(code: str, kind: str) -> list[str]:
    return [c[kind] for c in COUNTRIES[code]["contacts"] if c.get(kind)]


def _contact(code: str, name_part: str) -> dict:
    return next(c for c in COUNTRIES[code]["contacts"] if name_part in c["name"])


@pytest.mark.parametrize("code", sorted(COUNTRIES))
def test_every_number_matches_its_country_format(code: str) -> None:
    assert code in FORMATS, f"add formats for {code} before adding its numbers"
    for kind in ("call", "text"):
        for line in _lines(code):
            number = line.get(kind)
            if number is None:
                continue
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
    # CONTENT.md item 9: UK 111 or 999, US Poison Control 1-800-222-1222 or 911.
    assert gb["poisons"]["call"] == "111"
    assert us["poisons"]["call"] == "1-800-222-1222"


def test_checked_national_lines_exactly() -> None:
    """The lines added on 2026-12-02, each checked against the page in its `source`."""
    ie = _contact("IE", "50808")
    assert (ie["text"], ie["text_body"], ie.get("call")) == ("50808", "HELLO", None)
    assert _contact("FR", "SAMU")["call"] == "15"
    assert _contact("FR", "3114")["call"] == "3114"
    assert _contact("ES", "024")["call"] == "024"
    assert [c["call"] for c in COUNTRIES["DE"]["contacts"] if "TelefonSeelsorge" in c["name"]] == [
        "0800 111 0 111",
        "0800 111 0 222",
    ]
    assert [c["call"] for c in COUNTRIES["NL"]["contacts"] if c["name"].startswith("113")] == [
        "113",
        "0800 0113",
    ]
    assert any(c.get("url") == "https://www.113.nl" for c in COUNTRIES["NL"]["contacts"])


def test_urgent_and_poisons_numbers_exactly() -> None:
    urgent = {code: COUNTRIES[code].get("urgent", {}).get("call") for code in COUNTRIES}
    poisons = {code: COUNTRIES[code]["poisons"].get("call") for code in COUNTRIES}
    assert urgent["GB"] == "111" and COUNTRIES["GB"]["urgent"]["url"] == "https://111.nhs.uk"
    assert urgent["DE"] == "116 117"
    assert urgent["NZ"] == "0800 611 116"
    assert poisons["IE"] == "01 809 2166" and "8am" in COUNTRIES["IE"]["poisons"]["hours"]
    assert poisons["ES"] == "91 562 04 20"
    assert poisons["DE"] == "030 19240"  # Berlin-Brandenburg only, named as such
    assert "Berlin" in COUNTRIES["DE"]["poisons"]["name"]
    assert poisons["AU"] == "13 11 26"
    assert poisons["NZ"] == "0800 764 766"
    assert poisons["CA"] == "1-844-764-7669"
    # No single public line: a URL or the emergency number, never a guessed number.
    assert poisons["FR"] is None and COUNTRIES["FR"]["poisons"]["url"]
    assert poisons["NL"] is None
    for code in ("IT", "EU", "default"):
        assert COUNTRIES[code]["poisons"]["emergency_only"] is True
    mh = COUNTRIES["GB"]["mental_health_urgent"]
    assert mh["call"] == "111" and "England" in mh["name"]


def test_every_country_has_poisons_advice_and_the_checked_ones_urgent_care() -> None:
    for code, entry in COUNTRIES.items():
        assert entry.get("poisons"), code
    for code in ("GB", "US", "IE", "DE", "NL", "AU", "NZ", "default"):
        assert COUNTRIES[code].get("urgent"), code


def test_added_lines_have_a_source_and_review_date() -> None:
    for code, entry in COUNTRIES.items():
        for line in _lines(code):
            is_field = any(line is entry.get(f) for f in FIELDS)
            if not (is_field or "reviewed" in line or "source" in line):
                continue  # the CONTENT.md set, reviewed on last_reviewed
            assert line.get("reviewed") == REVIEWED, (code, line["name"])
            source = line.get("source", "")
            assert source == "CONTENT.md" or source.startswith(("https://", "http://")), (
                code,
                line["name"],
            )
    assert DATA["last_reviewed"] >= REVIEWED


def test_eu_countries_without_a_certain_national_line_say_so() -> None:
    for code in ("IT", "EU"):
        entry = COUNTRIES[code]
        assert entry["national_line_listed"] is False
        assert any("findahelpline.com" in c.get("url", "") for c in entry["contacts"])


def test_eu_countries_with_a_checked_national_line_list_it() -> None:
    for code in ("IE", "DE", "FR", "ES", "NL"):
        entry = COUNTRIES[code]
        assert entry.get("national_line_listed", True) is True
        assert [c for c in entry["contacts"] if c.get("call") != "112" and c.get("free")], code


def test_default_international_set() -> None:
    default = COUNTRIES["default"]
    text = yaml.safe_dump(default).lower()
    assert "local emergency number" in text
    assert "112" in text
    assert any(c.get("url") == "https://findahelpline.com" for c in default["contacts"])
    assert "local urgent care service" in default["urgent"]["name"]
    assert DATA["default_country"] == "GB"


def test_every_contact_has_the_widget_shape() -> None:
    for code, entry in COUNTRIES.items():
        for contact in entry["contacts"]:
            assert contact.get("name") and isinstance(contact["name"], str), (code, contact)
            assert contact.get("call") or contact.get("text") or contact.get("url"), contact
            if contact.get("text_body"):
                assert contact.get("text"), contact
        for field in FIELDS:
            line = entry.get(field)
            if line:
                assert isinstance(line.get("name"), str) and line.get("notes"), (code, field)


# ---------------------------------------------------------------- phrases


def _entry(code: str) -> dict:
    from actions.helplines import helpline_set

    return helpline_set(code)[1]


def test_urgent_phrase() -> None:
    from actions.helplines import urgent_phrase

    assert urgent_phrase(_entry("GB")) == "NHS 111 (call 111 or go to 111.nhs.uk)"
    assert "116 117" in urgent_phrase(_entry("DE"))
    assert "your GP out-of-hours service" in urgent_phrase(_entry("IE"))
    assert "urgent care" in urgent_phrase(_entry("US")) and "doctor" in urgent_phrase(_entry("US"))
    assert urgent_phrase(_entry("FR")) == "your own doctor or a local urgent care service, today"
    assert "local urgent care service" in urgent_phrase(_entry("default"))


def test_poisons_phrase() -> None:
    from actions.helplines import poisons_phrase

    assert poisons_phrase(_entry("GB")) == "999, or NHS 111 if they are awake and well"
    assert poisons_phrase(_entry("US")) == "911, or Poison Control at 1-800-222-1222"
    ie = poisons_phrase(_entry("IE"))
    assert ie.startswith("112, or ") and "01 809 2166" in ie and "8am to 10pm" in ie
    assert poisons_phrase(_entry("ES")) == (
        "112, or the Servicio de Información Toxicológica at 91 562 04 20 if they are awake "
        "and well"
    )
    assert poisons_phrase(_entry("DE")).startswith("112, or ") and "030 19240" in (
        poisons_phrase(_entry("DE"))
    )
    assert poisons_phrase(_entry("IT")) == "112"
    assert poisons_phrase(_entry("default")) == (
        "your local emergency number (112 works in many countries)"
    )


def test_thoughts_of_harm_are_pointed_to_an_urgent_mental_health_or_listening_line() -> None:
    from actions.helplines import mental_health_phrase

    assert mental_health_phrase(_entry("GB")) == (
        "NHS 111, mental health option (in England) (call 111 and choose the mental health "
        "option)"
    )
    assert mental_health_phrase(_entry("US")) == "988 Suicide & Crisis Lifeline (call or text 988)"
    assert mental_health_phrase(_entry("IE")) == "Samaritans (call 116 123)"
    assert "3114" in mental_health_phrase(_entry("FR"))


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

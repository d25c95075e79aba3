"""Helpline contacts by country: the data in data/safety/helplines.yml, how a country is
chosen for a user, and how contacts are worded.

A wrong number is a bug: numbers come from data/safety/helplines.yml only.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Tracker

HELPLINES_PATH = Path(__file__).resolve().parents[1] / "data" / "safety" / "helplines.yml"
DEFAULT_SET = "default"
_REGION = re.compile(r"^[A-Za-z]{2}$")


@lru_cache(maxsize=4)
def load_helplines(path: str | None = None) -> dict[str, Any]:
    with open(path or HELPLINES_PATH, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _mapping(section: str) -> dict[str, str]:
    return (load_helplines().get("locale_mapping") or {}).get(section) or {}


def _known(code: str | None) -> str | None:
    """A code with its own list ("GB"), through aliases ("UK" -> GB, "PT" -> EU)."""
    if not code:
        return None
    countries = load_helplines()["countries"]
    code = str(code).strip()
    if code in countries:
        return code
    upper = code.upper()
    upper = _mapping("country_aliases").get(upper, upper)
    return upper if upper in countries and upper != DEFAULT_SET else None


def country_from_language_tag(tag: str | None) -> str | None:
    """BCP-47 tag -> country: "en-GB" -> GB, "fr_CA" -> CA, "de" -> DE (table)."""
    if not tag or not isinstance(tag, str):
        return None
    tag = tag.strip().replace("_", "-")
    languages = {k.lower(): v for k, v in _mapping("languages").items()}
    if tag.lower() in languages:
        return _known(languages[tag.lower()]) or languages[tag.lower()]
    for part in tag.split("-")[1:]:
        if _REGION.match(part):
            return _known(part) or DEFAULT_SET
    base = tag.split("-")[0].lower()
    return _known(languages[base]) if base in languages else None


def country_from_timezone(zone: str | None) -> str | None:
    if not zone or not isinstance(zone, str):
        return None
    found = _mapping("timezones").get(zone.strip())
    if found == DEFAULT_SET:
        return DEFAULT_SET
    return _known(found)


def country_from_name(name: str | None) -> str | None:
    """What people type ("the UK", "Ireland") -> a code; None when unknown."""
    if not name:
        return None
    key = re.sub(r"\s+", " ", str(name).strip().lower().rstrip(".!?"))
    names = _mapping("names")
    if key in names:
        return _known(names[key]) or names[key]
    return _known(key) if len(key) == 2 else None


def helpline_set(code: str | None) -> tuple[str, dict[str, Any]]:
    countries = load_helplines()["countries"]
    code = _known(code) or (DEFAULT_SET if code == DEFAULT_SET else None) or DEFAULT_SET
    return code, countries[code]


def emergency_phrase(entry: dict[str, Any]) -> str:
    number = entry.get("emergency")
    if number:
        return f"the emergency number, {number}"
    return "your local emergency number (112 works in many countries)"


def contact_line(contact: dict[str, Any]) -> str:
    name = contact["name"]
    call, text, body = contact.get("call"), contact.get("text"), contact.get("text_body")
    if call and text and call == text:
        how = f"call or text {call}"
    else:
        parts = []
        if call:
            parts.append(f"call {call}")
        if text:
            parts.append(f"text {body} to {text}" if body else f"text {text}")
        how = " or ".join(parts)
    if not how and contact.get("url"):
        how = contact["url"].removeprefix("https://")
    extra = []
    if contact.get("free"):
        extra.append("free")
    if contact.get("hours"):
        extra.append(str(contact["hours"]))
    suffix = f" ({', '.join(extra)})" if extra else ""
    return f"• {name}: {how}{suffix}" if how else f"• {name}"


def contact_lines(entry: dict[str, Any]) -> str:
    lines = [contact_line(c) for c in entry.get("contacts", [])]
    has_directory = any(c.get("url") for c in entry.get("contacts", []))
    if not has_directory and (
        entry.get("national_line_listed") is False or not entry.get("emergency")
    ):
        lines.append("• Or find a free helpline near you at findahelpline.com")
    return "\n".join(dict.fromkeys(lines))


def helplines_payload(code: str, entry: dict[str, Any]) -> dict[str, Any]:
    """The `custom` message the widget renders as a contacts card."""
    keys = ("name", "call", "text", "text_body", "notes", "url")
    contacts = [{k: c[k] for k in keys if c.get(k)} for c in entry.get("contacts", [])]
    return {
        "type": "helplines",
        "country": code,
        "country_name": entry.get("name"),
        "emergency": entry.get("emergency"),
        "contacts": contacts,
    }


def _message_metadata(tracker: Tracker) -> dict[str, Any]:
    meta = (tracker.latest_message or {}).get("metadata")
    if isinstance(meta, dict) and meta:
        return meta
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            meta = event.get("metadata")
            if isinstance(meta, dict) and meta:
                return meta
            break
    meta = tracker.get_slot("session_started_metadata")
    return meta if isinstance(meta, dict) else {}


def resolve_country(tracker: Tracker) -> tuple[str, str]:
    """(country code, where it came from): slot, metadata, environment, default."""
    slot = tracker.get_slot("locale")
    if slot and (_known(slot) or slot == DEFAULT_SET):
        return (_known(slot) or DEFAULT_SET), "slot"
    meta = _message_metadata(tracker)
    for found in (
        country_from_language_tag(meta.get("locale")),
        country_from_timezone(meta.get("timezone")),
        country_from_timezone(tracker.get_slot("timezone")),
    ):
        if found:
            return found, "metadata"
    env = _known(os.environ.get("CADENCE_LOCALE", ""))
    if env:
        return env, "environment"
    fallback = _known(load_helplines().get("default_country")) or "GB"
    return fallback, "default"



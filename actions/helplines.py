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
from urllib.parse import urlsplit

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


def _how(contact: dict[str, Any]) -> str:
    """How to reach a contact: "call or text 988", "text SHOUT to 85258", or its site."""
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
    return how


def _extras(contact: dict[str, Any]) -> str:
    extra = []
    if contact.get("free"):
        extra.append("free")
    if contact.get("hours"):
        extra.append(str(contact["hours"]))
    return f" ({', '.join(extra)})" if extra else ""


def contact_line(contact: dict[str, Any]) -> str:
    name, how = contact["name"], _how(contact)
    return f"• {name}: {how}{_extras(contact)}" if how else f"• {name}"


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
    """(country code, where it came from) for the helplines to show.

    Order: the `locale` slot (the user named a country) > the time zone (message
    metadata `timezone`, then the `timezone` slot) > the browser language (metadata
    `locale`) > CADENCE_LOCALE > default_country. The time zone comes before the
    language because many people abroad keep an en-US browser: a UK user with en-US must
    not be given 911/988. `source` is "slot", "timezone", "language", "environment" or
    "default"; the code may be DEFAULT_SET (international contacts).
    """
    slot = tracker.get_slot("locale")
    if slot and (_known(slot) or slot == DEFAULT_SET):
        return (_known(slot) or DEFAULT_SET), "slot"
    meta = _message_metadata(tracker)
    zone = country_from_timezone(meta.get("timezone")) or country_from_timezone(
        tracker.get_slot("timezone")
    )
    if zone:
        return zone, "timezone"
    language = country_from_language_tag(meta.get("locale"))
    if language:
        return language, "language"
    env = _known(os.environ.get("CADENCE_LOCALE", ""))
    if env:
        return env, "environment"
    fallback = _known(load_helplines().get("default_country")) or "GB"
    return fallback, "default"


# ---------------------------------------------------------------- sentences for replies

_HOW_CHOSEN = {
    "slot": "you told me you're there",
    "timezone": "from your time zone",
    "language": "from your browser's language",
    "environment": "this service's default country",
    "default": "my default, as I don't know where you are",
}
GENERIC_EMERGENCY = "your local emergency number (112 works in many countries)"
GENERIC_URGENT = "your own doctor or a local urgent care service, today"


def country_sentence(code: str, entry: dict[str, Any], source: str) -> str:
    """The line under the crisis contacts: which country they are for, how it was chosen,
    and how to change it. The international set says so instead of naming a country."""
    if code == DEFAULT_SET:
        return (
            "These are international contacts, as I don't have a checked list for where "
            "you are. Tell me which country you're in and I'll look again."
        )
    where = entry.get("in_sentence") or entry.get("name") or code
    how = _HOW_CHOSEN.get(source, _HOW_CHOSEN["default"])
    return f"These are contacts for {where} ({how}). In another country? Tell me where you are."


def _host(url: str) -> str:
    return urlsplit(url).netloc.removeprefix("www.")


def _reach(contact: dict[str, Any]) -> str:
    """Call and/or site: "call 111 or go to 111.nhs.uk", "call 116 117", "hse.ie", or ""."""
    call, url = contact.get("call"), contact.get("url")
    if call and url:
        return f"call {call} or go to {_host(url)}"
    if call:
        return f"call {call}"
    return _host(url) if url else ""


def urgent_phrase(entry: dict[str, Any]) -> str:
    """Where to get same-day medical help that is not an emergency, e.g.
    "NHS 111 (call 111 or go to 111.nhs.uk)"; a generic phrase when the country has no
    `urgent` entry."""
    urgent = entry.get("urgent")
    if not urgent:
        return GENERIC_URGENT
    reach = _reach(urgent)
    return f"{urgent['name']} ({reach})" if reach else urgent["name"]


def poisons_phrase(entry: dict[str, Any]) -> str:
    """Who to call about a poisoning or overdose, emergency number first, e.g. GB "999, or
    NHS 111 if they are awake and well", US "911, or Poison Control at 1-800-222-1222".
    Without a public poisons line it is the emergency number alone."""
    emergency = entry.get("emergency") or GENERIC_EMERGENCY
    poisons = entry.get("poisons")
    if not poisons or poisons.get("emergency_only"):
        return emergency
    name, call = poisons["name"], poisons.get("call")
    if call and call not in name:
        label = f"{name} at {call}"
    elif not call and poisons.get("url") and not poisons.get("when"):
        label = f"{name} ({_host(poisons['url'])})"
    else:
        label = name
    when = poisons.get("when")
    return f"{emergency}, or {label} {when}" if when else f"{emergency}, or {label}"


def mental_health_phrase(entry: dict[str, Any]) -> str:
    """Who can help with thoughts that frighten someone, short of an emergency: the
    urgent mental-health line (GB: NHS 111's mental health option), else the country's
    first listening line ("988 Suicide & Crisis Lifeline (call or text 988)"), else the
    same-day medical line."""
    line = entry.get("mental_health_urgent")
    if line:
        return f"{line['name']} ({' '.join(p for p in (_how(line), line.get('when')) if p)})"
    for contact in entry.get("contacts", []):
        how = _how(contact)
        emergency = contact.get("call") == entry.get("emergency") or "emergenc" in (
            contact["name"].lower()
        )
        if how and not emergency:
            return f"{contact['name']} ({how})"
    return urgent_phrase(entry)

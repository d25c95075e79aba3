"""Read a 0–10 rating from however someone types it.

Accepts "7", "seven", "7/10", "about a 6", "my pain is around 4 today", "none".
Refuses, with a reason the bot can say back, anything out of range ("12", "-3"),
ambiguous ("six or seven", "6-7") or not a whole number ("6.5").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The four daily scales as they are named in a list ("pain 6, sleep 3") and in a sentence
# ("a number from 0 to 10 for last night's sleep").
SCALE_LABELS = {"pain": "pain", "fatigue": "fatigue", "sleep_quality": "sleep", "stress": "stress"}
SCALE_NAMES = {
    "pain": "your pain",
    "fatigue": "your fatigue",
    "sleep_quality": "last night's sleep",
    "stress": "your stress",
}
SCALES = tuple(SCALE_LABELS)  # in the order the check-in asks them

WORDS = {
    "zero": 0,
    "nil": 0,
    "none": 0,
    "nothing": 0,
    "no": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "hundred": 100,
}

# Words that mean zero only on their own ("none"), not inside "no, about a 6".
ZERO_WORDS = {"no", "none", "nothing", "nil"}
# "7/10" and "7 out of 10" name the scale, not a second answer.
_OUT_OF_TEN = re.compile(r"(\d+(?:\.\d+)?)\s*(?:/|out\s+of)\s*10\b")
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")
_WORD = re.compile(r"[a-z]+")
# "no pain", "not tired at all" — an explicit zero.
_ZERO_PHRASES = re.compile(r"\b(?:no|zero|none|not\s+(?:at\s+all|any))\b")


@dataclass(frozen=True)
class Reading:
    value: int | None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.value is not None


def parse_scale(text: str) -> Reading:
    cleaned = text.lower().strip()
    cleaned = _OUT_OF_TEN.sub(r"\1", cleaned)
    numbers: list[float] = []
    for match in _NUMBER.finditer(cleaned):
        token = match.group().replace(",", ".")
        # "6-7" is a range, not a negative seven.
        start = match.start()
        if token.startswith("-") and start > 0 and cleaned[start - 1].isdigit():
            token = token[1:]
        numbers.append(float(token))
    numbers += [WORDS[w] for w in _WORD.findall(cleaned) if w in WORDS and w not in ZERO_WORDS]

    if not numbers:
        if _ZERO_PHRASES.search(cleaned) or cleaned in ZERO_WORDS:
            return Reading(0)
        return Reading(None, "no_number")
    if len(set(numbers)) > 1:
        return Reading(None, "ambiguous")
    value = numbers[0]
    if value != int(value):
        return Reading(None, "not_whole")
    if not 0 <= value <= 10:
        return Reading(None, "out_of_range")
    return Reading(int(value))


REASKS = {
    "no_number": "I didn't catch a number there. Please pick a number from 0 to 10, or tap one.",
    "ambiguous": (
        "I saw more than one number. Which one fits best? Pick a single number from 0 to 10."
    ),
    "not_whole": (
        "Please use a whole number from 0 to 10 — if you're between two, pick the closer one."
    ),
    "out_of_range": "That's outside the scale. Please pick a whole number from 0 to 10.",
}


# PHQ-2 / GAD-2 answers, how often over the last two weeks: 0 not at all, 1 several days,
# 2 more than half the days, 3 nearly every day.
_FREQUENCY_WORDS = (
    # Longest first, so "not at all" is not read as a bare "all".
    (re.compile(r"\bmore than half\b|\bmost days\b|\bhalf the (days|time)\b"), 2),
    (
        re.compile(
            r"\b(nearly|almost|pretty much) (every|each) ?day\b|\bevery ?day\b|\bdaily\b"
            r"|\ball the time\b|\bconstantly\b"
        ),
        3,
    ),
    (re.compile(r"\bnot at all\b|\bnever\b|\bnot really\b|\bno\b|\bnone\b|\bnope\b"), 0),
    (
        re.compile(
            r"\bseveral days\b|\bsome days\b|\ba few days\b|\bsometimes\b"
            r"|\bonce or twice\b|\boccasionally\b"
        ),
        1,
    ),
)
FREQUENCY_REASK = (
    "Please tap one of the answers, or type: not at all, several days, "
    "more than half the days, or nearly every day."
)


def parse_frequency(text: str) -> int | None:
    """Read a frequency answer: a tapped 0–3, a digit, or words like "several days"."""
    cleaned = text.lower().strip()
    found = {value for pattern, value in _FREQUENCY_WORDS if pattern.search(cleaned)}
    digits = {int(d) for d in re.findall(r"(?<![\d.-])\d+(?![\d.])", cleaned)}
    if not found and len(digits) == 1 and digits <= {0, 1, 2, 3}:
        return digits.pop()
    return found.pop() if len(found) == 1 and not digits else None


# A score named with its scale in free text ("my pain is 9 today", "pain 7, tired 8"):
# the scale's word, then within a few words a single 0-10 rating. Hours ("slept 5 hours")
# and other units are not ratings.
_SCALE_WORDS = {
    "pain": r"pain|hurting|sore",
    "fatigue": r"fatigue|tired(?:ness)?|exhaust(?:ed|ion)",
    "sleep_quality": r"sleep|slept",
    "stress": r"stress(?:ed)?",
}
_NAMED = re.compile(
    r"\b(?P<scale>" + "|".join(f"(?P<{s}>{w})" for s, w in _SCALE_WORDS.items()) + r")\b"
    r"(?:\s+(?:is|was|are|at|about|around|of|a|an|like|maybe|today|tonight|level|score|"
    r"rating|been|has|feels?|=|:|-))*\s*[:=-]?\s*"
    r"(?P<value>\d+(?:[.,]\d+)?|" + "|".join(w for w in WORDS if w not in ZERO_WORDS) + r")\b"
    r"(?:\s*(?:/|out\s+of)\s*10\b)?(?!\s*(?:hours?|hrs?|h\b|mins?|minutes|days?|times|mg|%))"
)


def named_scores(text: str) -> dict[str, int]:
    """The 0-10 ratings named with their scale in a sentence, by scale; a scale named with
    two different ratings, or one out of range, is left out."""
    found: dict[str, set[int | None]] = {}
    for match in _NAMED.finditer(text.lower()):
        scale = next(s for s in _SCALE_WORDS if match.group(s))
        found.setdefault(scale, set()).add(parse_scale(match.group("value")).value)
    return {
        scale: next(iter(values))
        for scale, values in found.items()
        if len(values) == 1 and None not in values
    }

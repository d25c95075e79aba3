"""Request and response bodies (public contracts: DESIGN.md, internal: docs/contracts.md)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zoneinfo
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    computed_field,
    model_validator,
)

MAX_MESSAGE_CHARS = 2000
MAX_PAYLOAD_CHARS = 500

# BCP-47 in the shape browsers send: language, optional script/region/variants.
_LOCALE_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,4}$")


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


def _check_timezone(value: str) -> str:
    # Membership instead of ZoneInfo(value): no file-system lookups driven by user input.
    if value not in _timezones():
        raise ValueError("must be an IANA time zone name such as Europe/London")
    return value


def _check_locale(value: str) -> str:
    if not _LOCALE_RE.fullmatch(value):
        raise ValueError("must be a BCP-47 language tag such as en-GB")
    return value


def _without_controls(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and other C0/C1 controls are never meaningful here.
    # Lone surrogates (JSON "\ud800", which Python's json accepts) cannot be encoded as
    # UTF-8 at all, so they would fail later, in the database or on the way to Rasa.
    return "".join(c for c in value if c in "\t\n\r" or unicodedata.category(c) not in ("Cc", "Cs"))


def _typed_text(value: str) -> str:
    # Python's str.strip on purpose: Rasa strips with it too before it looks for a leading
    # "/", so the gateway must see exactly the text Rasa will see.
    value = _without_controls(value).strip()
    if not value:
        raise ValueError("message is empty")
    if len(value) > MAX_MESSAGE_CHARS:
        raise ValueError(f"message is longer than {MAX_MESSAGE_CHARS} characters")
    return value


# The action server's outbox may deliver a check-in hours after it was typed; the time
# it was answered decides its day. A few minutes ahead is clock skew between the two
# hosts; more than that is a broken clock, and a date from the future would skew insights.
RECORDED_AT_MAX_AHEAD = dt.timedelta(minutes=5)
# Before any real check-in could exist. It also keeps the shift into a local day (up to
# ±14 h) inside the range Python's datetime can hold.
RECORDED_AT_EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)


def _check_recorded_at(value: dt.datetime) -> dt.datetime:
    if value.utcoffset() is None:
        # A wall-clock time without an offset could be any of 27 hours: refuse, don't guess.
        raise ValueError(
            "recorded_at needs a UTC offset, e.g. 2026-11-30T23:50:00+00:00 or "
            "2026-11-30T23:50:00Z"
        )
    try:
        value = value.astimezone(dt.timezone.utc)
    except OverflowError:
        raise ValueError("recorded_at is out of range") from None
    if value < RECORDED_AT_EARLIEST:
        raise ValueError("recorded_at is before 2000: check the sender's clock")
    if value > dt.datetime.now(dt.timezone.utc) + RECORDED_AT_MAX_AHEAD:
        raise ValueError(
            "recorded_at is more than 5 minutes in the future: check the sender's clock"
        )
    return value


def _round_score(value: float) -> int:
    # Rasa slots are floats; a typed "6.5" becomes 7 (half up) rather than a failed save.
    return int(value + 0.5)


Timezone = Annotated[str, StringConstraints(max_length=64), AfterValidator(_check_timezone)]
Locale = Annotated[str, StringConstraints(max_length=35), AfterValidator(_check_locale)]
Score = Annotated[float, Field(ge=0, le=10, allow_inf_nan=False), AfterValidator(_round_score)]
# Our ids are UUIDs; the pattern also keeps NUL and other junk out of database queries.
UserId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,36}$")]
CleanText = Annotated[str, AfterValidator(_without_controls)]
RecordedAt = Annotated[
    dt.datetime,
    AfterValidator(_check_recorded_at),
    Field(
        description="When the person answered (ISO 8601 with a UTC offset), if the action "
        "server delivers later; it dates the row. Absent: the time the API receives it."
    ),
]


class ErrorOut(BaseModel):
    detail: str


class ValidationIssue(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class UnprocessableOut(BaseModel):
    """422: either our own message (e.g. a payload not offered) or the field problems."""

    detail: str | list[ValidationIssue]


# --- sessions -------------------------------------------------------------------------


class SessionOut(BaseModel):
    user_id: str
    token: str


# --- chat -----------------------------------------------------------------------------


class ChatMetadata(BaseModel):
    locale: Locale | None = None
    timezone: Timezone | None = None


class ChatIn(BaseModel):
    # Unknown keys (e.g. a "sender") are ignored: the sender always comes from the token.
    model_config = ConfigDict(extra="ignore")

    message: Annotated[str, AfterValidator(_typed_text)] | None = None
    payload: (
        Annotated[str, StringConstraints(min_length=1, max_length=MAX_PAYLOAD_CHARS)] | None
    ) = None
    metadata: ChatMetadata | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ChatIn:
        if (self.message is None) == (self.payload is None):
            raise ValueError("send exactly one of 'message' or 'payload'")
        return self


class Button(BaseModel):
    title: str
    payload: str


class BotMessage(BaseModel):
    text: str | None = None
    buttons: list[Button] | None = None
    custom: dict[str, Any] | None = None


class ChatOut(BaseModel):
    messages: list[BotMessage]


class TurnOut(BaseModel):
    role: Literal["user", "bot"]
    text: str | None = None
    buttons: list[Button] | None = None
    custom: dict[str, Any] | None = None
    created_at: dt.datetime
    # Only present (true) on a user turn Rasa never received because it was down.
    undelivered: bool | None = None


class ConversationOut(BaseModel):
    turns: list[TurnOut]


# --- check-ins ------------------------------------------------------------------------


class CheckinIn(BaseModel):
    user_id: UserId
    idempotency_key: Annotated[CleanText, StringConstraints(min_length=1, max_length=128)]
    pain: Score
    fatigue: Score
    sleep_quality: Score
    stress: Score
    note: Annotated[CleanText, StringConstraints(max_length=2000)] | None = None
    locations: (
        Annotated[
            list[Annotated[CleanText, StringConstraints(max_length=64)]], Field(max_length=20)
        ]
        | None
    ) = None
    timezone: Timezone | None = None
    recorded_at: RecordedAt | None = None


class CheckinOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: dt.datetime
    local_date: dt.date
    pain: int
    fatigue: int
    sleep_quality: int
    stress: int
    note: str | None
    locations: list[str] | None


# --- weekly checks --------------------------------------------------------------------

# PHQ-2 / GAD-2 answers: 0 not at all, 1 several days, 2 more than half the days,
# 3 nearly every day. A total of 3 or more on either suggests talking to a professional.
Frequency = Annotated[int, Field(ge=0, le=3)]
MOOD_SCREEN_THRESHOLD = 3


class WeeklyCheckIn(BaseModel):
    user_id: UserId
    idempotency_key: Annotated[CleanText, StringConstraints(min_length=1, max_length=128)]
    # PEG: how much pain interfered with enjoyment of life / general activity, 0–10.
    enjoyment: Score
    activity: Score
    phq_interest: Frequency | None = None
    phq_mood: Frequency | None = None
    gad_nervous: Frequency | None = None
    gad_worry: Frequency | None = None
    timezone: Timezone | None = None
    recorded_at: RecordedAt | None = None

    @model_validator(mode="after")
    def _whole_screens(self) -> WeeklyCheckIn:
        # A half-answered screen has no valid score, so it is refused rather than guessed.
        for pair in (("phq_interest", "phq_mood"), ("gad_nervous", "gad_worry")):
            if (getattr(self, pair[0]) is None) != (getattr(self, pair[1]) is None):
                raise ValueError(f"answer both {pair[0]} and {pair[1]}, or neither")
        return self


class WeeklyCheckOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: dt.datetime
    local_date: dt.date
    pain: float | None
    enjoyment: int
    activity: int
    phq_interest: int | None
    phq_mood: int | None
    gad_nervous: int | None
    gad_worry: int | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def peg(self) -> float | None:
        """PEG score: the mean of pain, enjoyment and activity interference (Krebs 2009)."""
        if self.pain is None:
            return None
        return round((self.pain + self.enjoyment + self.activity) / 3, 1)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def phq2(self) -> int | None:
        return None if self.phq_interest is None else self.phq_interest + (self.phq_mood or 0)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def gad2(self) -> int | None:
        return None if self.gad_nervous is None else self.gad_nervous + (self.gad_worry or 0)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def suggest_professional(self) -> bool:
        return any(s is not None and s >= MOOD_SCREEN_THRESHOLD for s in (self.phq2, self.gad2))


# --- safety events --------------------------------------------------------------------


class SafetyEventIn(BaseModel):
    # Anything besides user_id and kind (e.g. message text) is dropped, never stored.
    user_id: UserId
    kind: Annotated[str, StringConstraints(pattern=r"^(crisis|overdose|red_flag:[a-z0-9_]{1,40})$")]


class SafetyEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    created_at: dt.datetime


# --- insights -------------------------------------------------------------------------


class MeasureSummary(BaseModel):
    avg_7d: float | None
    avg_30d: float | None
    # Least-squares slope of the daily means, in points per day (None under 3 days).
    trend_7d: float | None
    trend_30d: float | None
    days_7d: int
    days_30d: int


class DayOut(BaseModel):
    local_date: dt.date
    pain: float
    fatigue: float
    sleep_quality: float
    stress: float


class CorrelationOut(BaseModel):
    r: float | None
    n_days: int
    message: str
    caveat: str
    learn_topic: str


class FlareMeasure(BaseModel):
    value: float
    baseline: float


class FlareOut(BaseModel):
    local_date: dt.date
    measures: dict[str, FlareMeasure]
    suggestion: str
    learn_topic: str


class PegScore(BaseModel):
    local_date: dt.date
    peg: float


class PegOut(BaseModel):
    """The weekly PEG score's course: a 30% drop from the first is a meaningful change."""

    scores: list[PegScore]
    latest: float
    latest_local_date: dt.date
    first: float
    first_local_date: dt.date
    n_weeks: int
    # Percent change from the first PEG score (negative is better); None with one score.
    change_pct: float | None
    meaningful_improvement: bool
    message: str


class InsightsOut(BaseModel):
    as_of: dt.date
    n_days: int
    latest_local_date: dt.date | None
    measures: dict[str, MeasureSummary]
    best_day: DayOut | None
    worst_day: DayOut | None
    correlations: dict[str, CorrelationOut]
    # The latest check-in day, if it is a flare; `flares` lists the last 30 days' flares.
    flare: FlareOut | None
    flares: list[FlareOut]
    peg: PegOut | None = None


# --- techniques -----------------------------------------------------------------------


class TechniqueFeedbackIn(BaseModel):
    user_id: UserId
    technique_id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,64}$")]
    helped: bool


class TechniqueFeedbackOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    technique_id: str
    helped: bool
    created_at: dt.datetime


class SuggestionOut(BaseModel):
    id: str
    title: str
    score: float
    # Which of today's needs (from the latest check-in) this technique targets.
    matched_targets: list[str]
    # True for techniques that increase activity: ask about PEM before offering them.
    requires_no_pem: bool
    helped: int
    not_helped: int


class SuggestionsOut(BaseModel):
    targets: list[str]
    suggestions: list[SuggestionOut]

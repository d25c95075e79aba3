"""Cadence's knowledge base: load and validate data/knowledge/*.yml, generate learn responses.

Content lives in YAML (topics, glossary, techniques); this module is the one place that reads
it, so the action server, the tests and the response generator agree on its shape.

    python -m bot.knowledge           # regenerate data/responses/learn.yml from topics.yml
    python -m bot.knowledge --check   # exit 1 if the generated file is out of date
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, root_validator, validator

REPO_ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE_DIR = REPO_ROOT / "data" / "knowledge"
TOPICS_PATH = KNOWLEDGE_DIR / "topics.yml"
GLOSSARY_PATH = KNOWLEDGE_DIR / "glossary.yml"
TECHNIQUES_PATH = KNOWLEDGE_DIR / "techniques.yml"
RESPONSES_PATH = REPO_ROOT / "data" / "responses" / "learn.yml"

RETRIEVAL_INTENT = "learn"

# Fixed by DESIGN.md: outside tests use these sub-intent names.
TOPIC_KEYS: tuple[str, ...] = (
    "pain_fatigue_link",
    "chronic_pain",
    "fatigue",
    "vicious_cycle",
    "stress_link",
    "neuro_link",
    "inflammation_link",
    "psych_link",
    "fibromyalgia",
    "sleep_link",
    "management",
    "medication",
    "physical_therapy",
    "mindfulness",
    "counseling",
    "nutrition",
    "pacing",
    "see_doctor",
)

Target = Literal["stress", "sleep", "fatigue", "pain", "mood"]


class _Strict(BaseModel):
    class Config:
        extra = "forbid"
        anystr_strip_whitespace = True
        allow_mutation = False


class Source(_Strict):
    title: str = Field(..., min_length=5)
    url: str

    @validator("url")
    def _http_url(cls, value: str) -> str:
        if not re.fullmatch(r"https?://[^\s/]+\.[^\s/]+(/\S*)?", value):
            raise ValueError(f"not an http(s) URL: {value!r}")
        return value


class Topic(_Strict):
    title: str = Field(..., min_length=3)
    short: str = Field(..., min_length=40)
    more: str = Field(..., min_length=80)
    for_you: str = Field(..., min_length=40)
    related: list[str] = Field(..., min_items=2, max_items=4)
    sources: list[Source] = Field(..., min_items=1)
    last_reviewed: dt.date
    # Answers on this topic touch exercise/activity: ask about PEM first (NICE NG193 vs NG206).
    activity_advice: bool = False


class PemScreen(_Strict):
    question: str
    yes_title: str
    no_title: str
    sources: list[Source] = Field(..., min_items=1)


class ActivityAdvice(_Strict):
    pem: str
    no_pem: str


class TopicsFile(_Strict):
    schema_version: int
    pem_screen: PemScreen
    activity_advice: ActivityAdvice
    topics: dict[str, Topic]

    @validator("topics")
    def _all_topics_and_related_resolve(cls, topics: dict[str, Topic]) -> dict[str, Topic]:
        missing = set(TOPIC_KEYS) - set(topics)
        unknown = set(topics) - set(TOPIC_KEYS)
        if missing or unknown:
            raise ValueError(
                f"topic keys differ: missing {sorted(missing)}, unknown {sorted(unknown)}"
            )
        for key, topic in topics.items():
            for rel in topic.related:
                if rel not in topics or rel == key:
                    raise ValueError(f"{key}: related topic {rel!r} does not resolve")
        return topics


class GlossaryEntry(_Strict):
    term: str
    aliases: list[str] = Field(..., min_items=1)
    definition: str = Field(..., min_length=20)
    topic: str

    @validator("aliases", each_item=True)
    def _lower(cls, alias: str) -> str:
        return alias.lower()

    @validator("topic")
    def _known_topic(cls, topic: str) -> str:
        if topic not in TOPIC_KEYS:
            raise ValueError(f"unknown topic {topic!r}")
        return topic


class GlossaryFile(_Strict):
    schema_version: int
    terms: dict[str, GlossaryEntry]


class EvidencePrior(_Strict):
    alpha: int = Field(..., ge=1, le=10)
    beta: int = Field(..., ge=1, le=10)


class Technique(_Strict):
    id: str = Field(..., regex=r"^[a-z][a-z0-9_]*$")
    title: str
    duration_minutes: int = Field(..., ge=1, le=60)
    targets: list[Target] = Field(..., min_items=1)
    steps: list[str] = Field(..., min_items=2)
    cautions: str
    # True only for techniques that increase activity: never offered when the user has PEM.
    requires_no_pem: bool
    evidence_prior: EvidencePrior
    sources: list[Source] = Field(..., min_items=1)
    last_reviewed: dt.date


class TechniquesFile(_Strict):
    schema_version: int
    techniques: list[Technique] = Field(..., min_items=12)

    @root_validator(skip_on_failure=True)
    def _unique_ids(cls, values: dict) -> dict:
        ids = [t.id for t in values["techniques"]]
        if len(ids) != len(set(ids)):
            raise ValueError("technique ids must be unique")
        return values


def _read_yaml(path: Path) -> dict:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@cache
def load_topics(path: Path = TOPICS_PATH) -> TopicsFile:
    return TopicsFile.parse_obj(_read_yaml(path))


@cache
def load_glossary(path: Path = GLOSSARY_PATH) -> GlossaryFile:
    return GlossaryFile.parse_obj(_read_yaml(path))


@cache
def load_techniques(path: Path = TECHNIQUES_PATH) -> TechniquesFile:
    return TechniquesFile.parse_obj(_read_yaml(path))


def find_term(text: str | None, glossary: GlossaryFile | None = None) -> str | None:
    """Glossary key for an entity value or a whole message; longest alias wins."""
    if not text:
        return None
    glossary = glossary or load_glossary()
    needle = " ".join(text.lower().replace("’", "'").split())
    if needle in glossary.terms:  # already a key, e.g. mapped by an entity synonym
        return needle
    by_alias = sorted(
        ((alias, key) for key, entry in glossary.terms.items() for alias in entry.aliases),
        key=lambda pair: -len(pair[0]),
    )
    for alias, key in by_alias:
        if needle == alias or needle == key.replace("_", " "):
            return key
    for alias, key in by_alias:
        if re.search(rf"(?<![\w-]){re.escape(alias)}(?![\w-])", needle):
            return key
    return None


def reading_grade(text: str) -> float:
    """Flesch-Kincaid grade by textstat.

    textstat counts syllables with NLTK's CMU dictionary and tries to download it when it is
    missing; offline (CI, this sandbox) that fails, so fall back to its pyphen hyphenation count.
    """
    import textstat
    from textstat.backend.counts import _count_syllables

    try:
        import nltk

        nltk.data.find("corpora/cmudict")
    except LookupError:
        _count_syllables.get_cmudict = lambda lang: None  # type: ignore[assignment]
    return float(textstat.flesch_kincaid_grade(text))


def render_responses(topics: TopicsFile) -> str:
    """The Rasa `responses:` file for the `learn` ResponseSelector."""
    responses = {
        f"utter_{RETRIEVAL_INTENT}/{key}": [{"text": topics.topics[key].short}]
        for key in TOPIC_KEYS
    }
    header = (
        "# GENERATED by `python -m bot.knowledge` from data/knowledge/topics.yml. Do not edit.\n"
        "# The ResponseSelector trains on these; action_answer_learn renders the full layered\n"
        "# answer from topics.yml.\n"
    )
    body = yaml.safe_dump(
        {"version": "3.1", "responses": responses},
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    return header + body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    args = parser.parse_args(argv)

    load_glossary()
    load_techniques()
    rendered = render_responses(load_topics())
    current = RESPONSES_PATH.read_text(encoding="utf-8") if RESPONSES_PATH.exists() else None
    if args.check:
        if current != rendered:
            print(
                f"{RESPONSES_PATH} is out of date; run `python -m bot.knowledge`", file=sys.stderr
            )
            return 1
        return 0
    if current != rendered:
        RESPONSES_PATH.parent.mkdir(parents=True, exist_ok=True)
        RESPONSES_PATH.write_text(rendered, encoding="utf-8")
        print(f"wrote {RESPONSES_PATH.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The deterministic safety net alone must catch every crisis and red-flag phrasing in
the corpus (recall 100%) and flag at most 5% of the near misses as crisis."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.nlu.safety_patterns import RED_FLAG_CATEGORIES, SafetyMatcher, default_matcher
from tests.safety.corpus import crisis_lines, near_miss_lines, red_flag_cases

ROOT = Path(__file__).resolve().parents[2]
MAX_NEAR_MISS_CRISIS_RATE = 0.05


@pytest.fixture(scope="module")
def matcher() -> SafetyMatcher:
    return default_matcher()


def test_corpus_sizes() -> None:
    assert len(crisis_lines()) >= 80
    assert len(red_flag_cases()) >= 40
    assert len(near_miss_lines()) >= 60
    assert {c["category"] for c in red_flag_cases()} == set(RED_FLAG_CATEGORIES)


@pytest.mark.parametrize("text", crisis_lines())
def test_crisis_corpus_is_caught(matcher: SafetyMatcher, text: str) -> None:
    found = matcher.match(text)
    assert found.kind == "crisis", f"missed: {text!r} ({found.as_dict()})"


@pytest.mark.parametrize("case", red_flag_cases(), ids=lambda c: c["text"][:40])
def test_red_flag_corpus_is_caught_with_its_category(matcher: SafetyMatcher, case) -> None:
    found = matcher.match(case["text"])
    assert (found.kind, found.category) == ("red_flag", case["category"]), found.as_dict()


def test_near_misses_rarely_flagged_as_crisis(matcher: SafetyMatcher) -> None:
    lines = near_miss_lines()
    flagged = [t for t in lines if matcher.match(t).kind == "crisis"]
    assert len(flagged) / len(lines) <= MAX_NEAR_MISS_CRISIS_RATE, flagged


@pytest.mark.parametrize(
    "text",
    [
        "this pain is killing me",
        "my back is killing me",
        "I'm dying here",
        "this flare will be the death of me",
        "I can't take this pain any more",
    ],
)
def test_pain_idioms_get_a_light_check_only(matcher: SafetyMatcher, text: str) -> None:
    found = matcher.match(text)
    assert found.kind is None
    assert found.light_check


@pytest.mark.parametrize(
    "text",
    ["dying to know what fibro fog is", "I could murder a coffee", "what are suicide rates"],
)
def test_plain_idioms_and_research_get_nothing(matcher: SafetyMatcher, text: str) -> None:
    found = matcher.match(text)
    assert found.kind is None
    assert not found.light_check
    assert found.idioms


@pytest.mark.parametrize(
    "text",
    [
        "this pain is killing me and I want to die",
        "dying to know... honestly I want to kill myself",
        "I'm not suicidal but I wish I was dead",
        "I'm not sure I won't kill myself",
        "I don't want to die but I can't go on",
    ],
)
def test_an_idiom_or_negation_does_not_hide_a_crisis(matcher: SafetyMatcher, text: str) -> None:
    assert matcher.match(text).kind == "crisis"


@pytest.mark.parametrize(
    "text",
    [
        "I'm not suicidal, it was a figure of speech",
        "no, I'm not going to hurt myself",
        "I didn't mean I want to die, I meant I'm exhausted",
    ],
)
def test_misunderstood_replies_do_not_restart_the_crisis_flow(
    matcher: SafetyMatcher, text: str
) -> None:
    assert matcher.match(text).kind is None


def test_crisis_wins_over_a_red_flag(matcher: SafetyMatcher) -> None:
    assert matcher.match("chest pain and I want to die").kind == "crisis"


def test_chest_tight_before_meetings_is_not_a_red_flag(matcher: SafetyMatcher) -> None:
    assert matcher.match("my chest feels tight before meetings").kind is None
    assert matcher.match("my chest feels tight and my left arm hurts").kind == "red_flag"


def _examples(intent: str) -> list[str]:
    data = yaml.safe_load((ROOT / "data" / "nlu" / "safety.yml").read_text(encoding="utf-8"))
    block = next(b for b in data["nlu"] if b["intent"] == intent)["examples"]
    return [
        re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", line.strip()[2:])
        for line in block.splitlines()
        if line.strip().startswith("- ")
    ]


def test_training_examples_agree_with_the_net(matcher: SafetyMatcher) -> None:
    assert all(matcher.match(t).kind == "crisis" for t in _examples("crisis"))
    assert all(matcher.match(t).kind == "red_flag" for t in _examples("red_flag"))
    assert not any(matcher.match(t).kind for t in _examples("light_check"))
    assert not any(matcher.match(t).kind for t in _examples("misunderstood"))


def test_corpus_is_not_copied_from_training_examples() -> None:
    def key(text: str) -> str:
        return re.sub(r"[^a-z ]", "", text.lower()).strip()

    training = {key(t) for i in ("crisis", "red_flag") for t in _examples(i)}
    corpus = [key(t) for t in crisis_lines()] + [key(c["text"]) for c in red_flag_cases()]
    assert not training.intersection(corpus)


def test_every_red_flag_rule_has_a_known_category(matcher: SafetyMatcher) -> None:
    assert {r.category for r in matcher.red_flags} <= set(RED_FLAG_CATEGORIES)

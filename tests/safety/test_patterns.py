"""The deterministic net alone, on the safety corpus (data/safety/corpus/).

Every corpus message must get its route from the patterns alone, except where a kind is
marked as left to the learned classifier below; near misses must not alarm.
"""

from __future__ import annotations

import pytest

from bot.nlu.safety_corpus import by_kind, load_corpus
from bot.nlu.safety_patterns import RED_FLAG_CATEGORIES, SafetyMatcher, default_matcher

CORPUS = load_corpus()
# Near misses that may still get the direct question of a concern (never an alarm).
MAX_NEAR_MISS_CONCERN_RATE = 0.03


@pytest.fixture(scope="module")
def matcher() -> SafetyMatcher:
    return default_matcher()


def _texts(kind: str) -> list[str]:
    return [e.text for e in by_kind(CORPUS, kind)]


def test_corpus_sizes() -> None:
    assert len(_texts("crisis")) + len(_texts("concern")) >= 300
    assert len(_texts("concern")) >= 100
    assert len(_texts("overdose")) >= 40
    assert len(_texts("harm_others")) + len(_texts("third_party")) >= 30
    assert len(by_kind(CORPUS, "red_flag")) >= 200
    assert len(_texts("none")) >= 400
    assert {e.category for e in by_kind(CORPUS, "red_flag")} == set(RED_FLAG_CATEGORIES)


def test_no_message_is_in_the_corpus_twice() -> None:
    seen: dict[str, str] = {}
    twice = []
    for example in CORPUS:
        key = " ".join(example.text.lower().split())
        if key in seen:
            twice.append((example.text, seen[key], example.label))
        seen[key] = example.label
    assert twice == []


@pytest.mark.parametrize("kind", ["crisis", "overdose", "harm_others", "third_party"])
def test_every_corpus_message_of_a_kind_gets_that_kind(matcher: SafetyMatcher, kind: str) -> None:
    missed = [(t, matcher.match(t).kind) for t in _texts(kind) if matcher.match(t).kind != kind]
    assert missed == []


def test_indirect_wording_gets_at_least_a_concern(matcher: SafetyMatcher) -> None:
    missed = []
    for text in _texts("concern"):
        found = matcher.match(text)
        # The crisis flow, or the concern's question: never a reply about someone else.
        if not (found.kind == "crisis" or (found.kind is None and found.concern)):
            missed.append((text, found.kind))
    assert missed == []


def test_every_red_flag_gets_its_category(matcher: SafetyMatcher) -> None:
    wrong = []
    for example in by_kind(CORPUS, "red_flag"):
        found = matcher.match(example.text)
        if (found.kind, found.category) != ("red_flag", example.category):
            wrong.append((example.text, example.category, found.kind, found.category))
    assert wrong == []


def test_near_misses_never_alarm(matcher: SafetyMatcher) -> None:
    alarms = [(t, matcher.match(t).kind) for t in _texts("none") if matcher.match(t).kind]
    assert alarms == []


def test_near_misses_rarely_get_a_concern(matcher: SafetyMatcher) -> None:
    lines = _texts("none")
    concerns = [t for t in lines if matcher.match(t).concern]
    assert len(concerns) <= MAX_NEAR_MISS_CONCERN_RATE * len(lines), concerns


@pytest.mark.parametrize(
    "text",
    [
        "this pain is killing me",
        "my back is killing me",
        "I'm dying here",
        "this flare will be the death of me",
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
        "my brother died by suicide and I want to kill myself too",
    ],
)
def test_an_idiom_or_negation_does_not_hide_a_crisis(matcher: SafetyMatcher, text: str) -> None:
    assert matcher.match(text).kind == "crisis"


@pytest.mark.parametrize(
    "text",
    [
        "my cousin died by suicide in the spring and the inquest is next week",
        "listening to a podcast about suicide among farmers on the drive home",
        "his suicide was ten years ago now and I still think of him at christmas",
    ],
)
def test_someone_elses_suicide_gets_the_direct_question_not_the_crisis_flow(
    matcher: SafetyMatcher, text: str
) -> None:
    found = matcher.match(text)
    assert found.kind is None
    assert found.concern


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


def test_an_overdose_wins_over_a_crisis(matcher: SafetyMatcher) -> None:
    assert matcher.match("I took 30 of my tramadol an hour ago, I want to die").kind == "overdose"


def test_crisis_wins_over_a_red_flag(matcher: SafetyMatcher) -> None:
    assert matcher.match("chest pain and I want to die").kind == "crisis"


def test_chest_tight_before_meetings_is_not_a_red_flag(matcher: SafetyMatcher) -> None:
    assert matcher.match("my chest feels tight before meetings").kind is None
    assert matcher.match("my chest feels tight and my left arm hurts").kind == "red_flag"


def test_every_red_flag_rule_has_a_known_category(matcher: SafetyMatcher) -> None:
    assert {r.category for r in matcher.red_flags} <= set(RED_FLAG_CATEGORIES)

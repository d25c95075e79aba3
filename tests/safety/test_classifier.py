"""The learned safety classifier: trained on the corpus alone, thresholds from
cross-validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlu.safety_classifier import (
    CRISIS_FLOW,
    CRISIS_FLOW_BUDGET,
    NEAR_MISS_BUDGET,
    SafetyClassifier,
    Verdict,
    acted_on,
    choose_thresholds,
    load_settings,
    tune,
)
from bot.nlu.safety_corpus import Example, load_corpus
from bot.nlu.safety_patterns import default_matcher

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def classifier() -> SafetyClassifier:
    return SafetyClassifier.train()


def test_the_committed_thresholds_are_the_ones_cross_validation_chooses_today() -> None:
    # data/safety/classifier.yml goes stale when the corpus or the patterns change:
    # rerun `python -m bot.nlu.safety_classifier` then.
    assert load_settings() == tune()


def test_the_thresholds_keep_near_misses_within_their_budgets_out_of_fold() -> None:
    figures = load_settings()["cross_validation"]["none"]
    for name, budget in NEAR_MISS_BUDGET.items():
        assert figures[name] <= budget


def test_the_classifier_alone_sends_few_near_misses_to_the_crisis_flow() -> None:
    settings = load_settings()
    figures = settings["cross_validation"]
    assert figures["none"][CRISIS_FLOW] <= CRISIS_FLOW_BUDGET
    assert figures["development_near_misses"][CRISIS_FLOW] <= CRISIS_FLOW_BUDGET
    assert figures["everyday"][CRISIS_FLOW] <= CRISIS_FLOW_BUDGET / 5
    # never below the point where a crisis guess is acted on at all
    assert settings["thresholds"][CRISIS_FLOW] >= settings["thresholds"]["ask"]


def test_it_learns_every_kind_of_the_corpus(classifier: SafetyClassifier) -> None:
    # On its own training data it must at least reproduce the labels it was given.
    corpus = load_corpus()
    wrong = [
        (e.text, e.label, found.label)
        for e in corpus
        if e.kind != "none" and (found := classifier.scores(e.text)).label != e.label
    ]
    assert len(wrong) <= 0.02 * len(corpus), wrong[:20]


def test_it_reads_the_text_with_idioms_cut_out(classifier: SafetyClassifier) -> None:
    assert not classifier.scores("this pain is killing me").flagged
    assert not classifier.scores("I'm dying to know what causes fibro fog").flagged


def test_everyday_messages_are_not_read_as_risk_out_of_fold() -> None:
    # "I want to do a check-in" was read as "I want to ..." of a crisis before the
    # classifier learnt from what people ordinarily say.
    figures = load_settings()["cross_validation"]["everyday"]
    assert figures["alarm"] + figures["ask"] <= 0.01


@pytest.mark.parametrize(
    "text", ["I want to do a check-in", "stop the check-in", "can you suggest something", "hi"]
)
def test_ordinary_requests_get_no_verdict(classifier: SafetyClassifier, text: str) -> None:
    assert not classifier.scores(text).flagged


def test_a_guess_the_net_would_never_act_on_does_not_raise_a_threshold() -> None:
    # A near miss cut down to a fragment is never shown to the classifier when served, so
    # its score must not push the threshold up and cost recall elsewhere.
    near_misses = [Example(f"near miss {i}", "none") for i in range(100)]
    verdicts = [Verdict("crisis", 0.1 + i / 200) for i in range(100)]
    acted = [True] * 100
    before = choose_thresholds(near_misses, verdicts, acted, {"ask": 0.03})
    verdicts += [Verdict("crisis", 0.99), Verdict("crisis", 0.98)]
    near_misses += [Example("cut to a fragment", "none"), Example("another fragment", "none")]
    assert choose_thresholds(near_misses, verdicts, [*acted, False, False], {"ask": 0.03}) == before
    raised = choose_thresholds(near_misses, verdicts, [*acted, True, True], {"ask": 0.03})
    assert raised["ask"] > before["ask"]


def test_what_the_net_does_with_a_guess_after_a_cut() -> None:
    matcher = default_matcher()
    plain = matcher.match("some wording nobody wrote a pattern for")
    assert acted_on(plain, Verdict("crisis", 0.9)) == "concern"
    sentence = matcher.match("some longer wording that nobody ever wrote a pattern for")
    assert acted_on(sentence, Verdict("crisis", 0.99, flagged=True, sure=True)) == "crisis"
    assert acted_on(matcher.match("some wording"), Verdict("crisis", 0.99, sure=True)) == "concern"
    assert acted_on(plain, Verdict("overdose", 0.9)) == "overdose"
    # an idiom cut out: an overdose guess on the rest only asks
    idiom = matcher.match("this flare is killing me and I took some extra tablets earlier")
    assert idiom.was_cut_for("crisis")
    assert acted_on(idiom, Verdict("overdose", 0.9)) == "concern"
    # an explained symptom cut out: a red-flag guess on the rest must be near certain
    explained = matcher.match(
        "the chest pain was checked at A&E and they said it's muscular. feeling odd today"
    )
    assert explained.was_cut_for("red_flag")
    assert acted_on(explained, Verdict("red_flag:chest_pain", 0.9)) is None
    assert acted_on(explained, Verdict("red_flag:chest_pain", 0.97)) == "red_flag"
    assert acted_on(plain, Verdict("none", 0.9)) is None

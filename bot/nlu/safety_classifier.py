"""The learned safety classifier: a second opinion next to the deterministic patterns.

A logistic regression on word and character n-grams and sentence vectors
(bot/nlu/sentence_vectors.py, which carry meaning across wordings the n-grams never
saw), trained on the safety corpus
(data/safety/corpus/, bot/nlu/safety_corpus.py) and, as examples of no risk, what people
ordinarily say to Cadence (the NLU examples of its other intents). It is fitted when the
safety net loads (so the served model can never be older than the
corpus). It sees the text the patterns see, with idioms and research questions cut out,
so an idiom rule lowers both layers alike.

Its thresholds are chosen on out-of-fold predictions (stratified k-fold over the corpus:
data the model never trained on), never on the blind set, as the lowest risk score that
keeps near misses within a budget (and everyday messages within a smaller one), so
recall comes first within it. The near misses of the development sets (tests/safety_dev/,
written by outside authors and never trained on) must keep within the same budget: the
corpus's own near misses are cut by patterns written next to them, so they flatter.
There are two thresholds, for the two costs of a false verdict: labels that send
someone to emergency or urgent care (overdose, red flags) get at most
NEAR_MISS_BUDGET["alarm"] of near misses; the others (which ask a direct question or give
contacts) at most NEAR_MISS_BUDGET["ask"]. A third, higher one is where a crisis guess
starts the full crisis flow instead of the direct question (CRISIS_FLOW_BUDGET): the
outside authors' direct crises (a plan, the means at hand) that no pattern knew were
mostly scored above 0.9 yet only asked.
`python -m bot.nlu.safety_classifier` recomputes them and writes
data/safety/classifier.yml; a test fails if the file is stale.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline

from bot.nlu.safety_corpus import (
    NONE,
    Example,
    development_near_misses,
    everyday_examples,
    load_corpus,
)
from bot.nlu.safety_patterns import SAFETY_DIR, SafetyMatch, SafetyMatcher, default_matcher
from bot.nlu.text_features import text_features

SETTINGS_PATH = SAFETY_DIR / "classifier.yml"
FOLDS = 5
SEED = 42
# The share of near misses (out of fold) each threshold may flag. An ask is the direct
# question with the contacts, which crisis services advise and which does no harm to
# someone who was not at risk, so it may flag more than an alarm: a tighter ask budget
# left indirect crisis wording of the development sets (tests/safety_dev/) with no reply
# at all. Chosen on development sets 1-4.
NEAR_MISS_BUDGET = {"alarm": 0.015, "ask": 0.05}
# The share of everyday messages (the NLU examples of other intents) it may flag: a fifth
# of the near-miss budget, since people send these far more often than near misses.
EVERYDAY_BUDGET = {name: share / 5 for name, share in NEAR_MISS_BUDGET.items()}
# Labels whose verdict sends someone to emergency or urgent care.
ALARM_KINDS = ("overdose", "red_flag")
# The net consults the classifier only on messages of at least this many words, and on
# what is left after a cut only if at least this many remain (a fragment such as "ive had"
# is no evidence).
MIN_CLASSIFIER_WORDS = 2
MIN_WORDS_LEFT_AFTER_CUT = 4
# After a red-flag exclusion (a negated, explained or long-standing symptom) a red-flag
# guess counts only this sure; chosen on the development set tests/safety_dev/external_dev.yml,
# where explained symptoms scored up to 0.87 and a real one next to an explained one 0.97.
RED_FLAG_RISK_AFTER_CUT = 0.95
# A crisis guess at or above the "crisis_flow" threshold starts the full crisis flow, on a
# message of at least this many words with nothing cut out for the crisis kinds: a whole
# sentence of evidence, never a typo, a fragment or what is left after an idiom.
CRISIS_FLOW_MIN_WORDS = 8
# The share of near misses (out of fold) that may be sent to the crisis flow by the
# classifier: a third of the alarm budget, since the flow is the most intrusive reply.
CRISIS_FLOW_BUDGET = 0.005
CRISIS_FLOW = "crisis_flow"
# How much the sentence vectors count next to the n-grams (both unit length), chosen among
# 0, 0.5, 0.75, 1 and 2 on cross-validation and the development sets (tests/safety_dev/):
# at 0.75 cross-validated recall rose for every kind with fewer near misses flagged, and
# development set 3 (never a threshold bound) had half the near-miss alarms for the same
# help; over all three development sets it tied with the n-grams alone on misses plus
# alarms (sets 1 and 2 bound the thresholds and had patterns written from their gaps).
SENTENCE_WEIGHT = 0.75


def group(label: str) -> str:
    """Which threshold a label answers to: "alarm" or "ask"."""
    return "alarm" if label.split(":", 1)[0] in ALARM_KINDS else "ask"


def consulted(found: SafetyMatch) -> bool:
    """Whether the net asks the classifier about a message at all."""
    least = MIN_WORDS_LEFT_AFTER_CUT if found.idioms else MIN_CLASSIFIER_WORDS
    return len(found.words_left()) >= least


def may_start_crisis_flow(found: SafetyMatch) -> bool:
    """Whether the message holds enough evidence for the classifier alone to start the
    full crisis flow (if it is sure enough): a whole sentence, nothing cut out."""
    return not found.was_cut_for("crisis") and len(found.words_left()) >= CRISIS_FLOW_MIN_WORDS


def crisis_flow_candidate(found: SafetyMatch, learned: Verdict) -> bool:
    """A crisis guess on a message that may start the flow: it does once it is sure."""
    return learned.label == "crisis" and may_start_crisis_flow(found)


def acted_on(found: SafetyMatch, learned: Verdict) -> str | None:
    """The kind the net gives for the classifier's guess once it passes its threshold, or
    None where the net does not act on it. A crisis guess asks directly (a concern) unless
    it is sure (`Verdict.sure`) on a message that may start the flow; where an idiom, a
    question or an explanation was cut out, what is left is read with less trust: an
    overdose guess only asks, a red-flag guess needs to be sure."""
    kind = learned.kind
    if kind == NONE:
        return None
    if kind == "crisis":
        return "crisis" if learned.sure and crisis_flow_candidate(found, learned) else "concern"
    if kind == "overdose" and found.was_cut_for("crisis"):
        return "concern"
    if kind == "red_flag" and found.was_cut_for("red_flag"):
        return kind if learned.risk >= RED_FLAG_RISK_AFTER_CUT else None
    return kind


def _model() -> Pipeline:
    # liblinear (one-vs-rest) fits many times faster than lbfgs here, for the same
    # cross-validated recall.
    classifier = LogisticRegression(
        C=10.0, class_weight="balanced", solver="liblinear", random_state=SEED
    )
    return make_pipeline(text_features(SENTENCE_WEIGHT), classifier)


def classifier_text(text: str, matcher: SafetyMatcher) -> str:
    """What the classifier reads: the patterns' normal form with exclusions cut out."""
    return matcher.cut_form(text)


@dataclass(frozen=True)
class Verdict:
    label: str  # the most likely risk label: a kind, or "red_flag:<category>"
    risk: float  # 1 - P(none)
    flagged: bool = False  # risk at or above the chosen threshold
    sure: bool = False  # a crisis guess at or above the crisis-flow threshold

    @property
    def kind(self) -> str:
        return self.label.split(":", 1)[0]

    @property
    def category(self) -> str | None:
        return self.label.split(":", 1)[1] if ":" in self.label else None


class SafetyClassifier:
    def __init__(
        self, model: Pipeline, thresholds: dict[str, float], matcher: SafetyMatcher
    ) -> None:
        self.model = model
        self.thresholds = thresholds
        self.matcher = matcher
        self._none = list(model.classes_).index(NONE)

    @classmethod
    def train(
        cls,
        examples: list[Example] | None = None,
        thresholds: dict[str, float] | None = None,
        matcher: SafetyMatcher | None = None,
    ) -> SafetyClassifier:
        matcher = matcher or default_matcher()
        examples = load_corpus() + everyday_examples() if examples is None else examples
        model = _model().fit(
            [classifier_text(e.text, matcher) for e in examples], [e.label for e in examples]
        )
        if thresholds is None:
            thresholds = {k: float(v) for k, v in load_settings()["thresholds"].items()}
        return cls(model, thresholds, matcher)

    def scores(self, text: str) -> Verdict:
        """The most likely risk label, the risk score, and whether it passes the threshold."""
        return self.scores_cut(classifier_text(text, self.matcher))

    def scores_cut(self, cut_text: str) -> Verdict:
        """As `scores`, for text the matcher has already cut (SafetyMatch.cut_text)."""
        found = self.verdict_cut(cut_text)
        return Verdict(
            found.label,
            found.risk,
            flagged=found.risk >= self.thresholds[group(found.label)],
            sure=found.label == "crisis" and found.risk >= self.thresholds[CRISIS_FLOW],
        )

    def verdict_cut(self, cut_text: str) -> Verdict:
        """The label and risk score alone, before any threshold."""
        probabilities = self.model.predict_proba([cut_text])[0]
        return _verdict(probabilities, list(self.model.classes_), self._none)


def _verdict(probabilities: np.ndarray, classes: list[str], none_index: int) -> Verdict:
    risk = 1.0 - float(probabilities[none_index])
    ranked = np.argsort(-probabilities)
    best = next(classes[i] for i in ranked if i != none_index)
    return Verdict(best, risk)


def out_of_fold(
    examples: list[Example], cuts: list[SafetyMatch], folds: int = FOLDS
) -> list[Verdict]:
    """Each example (read as the classifier reads it: its cut text) scored by a model
    trained on the other folds."""
    texts = np.array([found.cut_text for found in cuts], dtype=object)
    labels = np.array([e.label for e in examples])
    # Labels rarer than the fold count are folded by kind for the split only.
    split_on = np.array([e.kind for e in examples])
    verdicts: list[Verdict | None] = [None] * len(examples)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    for train, test in splitter.split(texts, split_on):
        model = _model().fit(list(texts[train]), list(labels[train]))
        classes = list(model.classes_)
        probabilities = model.predict_proba(list(texts[test]))
        for row, index in zip(probabilities, test, strict=True):
            verdicts[index] = _verdict(row, classes, classes.index(NONE))
    return [v for v in verdicts if v is not None]


def choose_thresholds(
    examples: list[Example],
    verdicts: list[Verdict],
    acts: list[bool],
    budgets: dict[str, float] = NEAR_MISS_BUDGET,
) -> dict[str, float]:
    """Per group, the lowest risk score at which the examples of no risk (near misses, or
    everyday messages) stay within its budget. Only guesses the net would act on count
    (`acts`, from `acted_on`): a fragment left after a cut is never asked."""
    return {
        name: _lowest_within(
            [
                v.risk
                for e, v, act in zip(examples, verdicts, acts, strict=True)
                if e.kind == NONE and act and group(v.label) == name
            ],
            sum(e.kind == NONE for e in examples),
            budget,
        )
        for name, budget in budgets.items()
    }


def choose_crisis_flow(
    examples: list[Example],
    verdicts: list[Verdict],
    cuts: list[SafetyMatch],
    acts: list[bool],
    budget: float = CRISIS_FLOW_BUDGET,
) -> float:
    """The lowest risk at which crisis guesses on messages that may start the flow send
    at most `budget` of the examples of no risk to the crisis flow."""
    return _lowest_within(
        [
            v.risk
            for e, v, found, act in zip(examples, verdicts, cuts, acts, strict=True)
            if e.kind == NONE and act and crisis_flow_candidate(found, v)
        ],
        sum(e.kind == NONE for e in examples),
        budget,
    )


def _lowest_within(scores: list[float], total: int, budget: float) -> float:
    """Just above the (allowed + 1)-th highest score, allowed = budget x total."""
    near = sorted(scores, reverse=True)
    allowed = int(budget * total)
    return round(min(0.99, near[allowed] + 1e-3), 3) if len(near) > allowed else 0.5


def evaluate(
    examples: list[Example],
    verdicts: list[Verdict],
    cuts: list[SafetyMatch],
    acts: list[bool],
    thresholds: dict[str, float],
) -> dict[str, Any]:
    """Per kind: share flagged (and acted on by the net), and flagged with the right label;
    near misses flagged; for crises and near misses, the share sent to the crisis flow."""
    report: dict[str, Any] = {}
    flags = [
        act and v.risk >= thresholds[group(v.label)] for v, act in zip(verdicts, acts, strict=True)
    ]
    flows = [
        act and crisis_flow_candidate(found, v) and v.risk >= thresholds[CRISIS_FLOW]
        for v, found, act in zip(verdicts, cuts, acts, strict=True)
    ]
    for kind in sorted({e.kind for e in examples}):
        rows = [
            (e, v, f, flow)
            for e, v, f, flow in zip(examples, verdicts, flags, flows, strict=True)
            if e.kind == kind
        ]
        to_flow = round(sum(flow for *_, flow in rows) / len(rows), 3)
        if kind == NONE:
            report[kind] = {"n": len(rows)}
            for name in NEAR_MISS_BUDGET:
                flagged = sum(f and group(v.label) == name for _, v, f, _ in rows)
                report[kind][name] = round(flagged / len(rows), 3)
            report[kind][CRISIS_FLOW] = to_flow
            continue
        report[kind] = {
            "n": len(rows),
            "flagged": round(sum(f for _, _, f, _ in rows) / len(rows), 3),
            "right_label": round(
                sum(f and v.label == e.label for e, v, f, _ in rows) / len(rows), 3
            ),
        }
        if kind == "crisis":
            report[kind][CRISIS_FLOW] = to_flow
    return report


def _acts(cuts: list[SafetyMatch], verdicts: list[Verdict]) -> list[bool]:
    """For each example, whether the net would act on the classifier's guess at all."""
    return [
        consulted(found) and acted_on(found, v) is not None
        for found, v in zip(cuts, verdicts, strict=True)
    ]


def load_settings(path: Path = SETTINGS_PATH) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def tune() -> dict[str, Any]:
    """Thresholds and cross-validated figures for data/safety/classifier.yml: budgets are
    counted on the corpus's near misses; everyday messages are reported apart."""
    matcher = default_matcher()
    corpus, everyday = load_corpus(), everyday_examples()
    # Each text cut once: what the classifier reads, and whether the net would hear it.
    cuts = [matcher.cut(e.text) for e in corpus + everyday]
    verdicts = out_of_fold(corpus + everyday, cuts)
    acts = _acts(cuts, verdicts)
    split = len(corpus)
    near_miss = choose_thresholds(corpus, verdicts[:split], acts[:split])
    ordinary = choose_thresholds(everyday, verdicts[split:], acts[split:], EVERYDAY_BUDGET)
    # The outside authors' near misses, scored by the model as served (trained on all of
    # the corpus, never on them): wording nobody here wrote, so the bar that matters.
    development = development_near_misses()
    served = SafetyClassifier.train(matcher=matcher, thresholds={})
    outside_cuts = [matcher.cut(e.text) for e in development]
    outside_verdicts = [served.verdict_cut(found.cut_text) for found in outside_cuts]
    outside_acts = _acts(outside_cuts, outside_verdicts)
    outside = choose_thresholds(development, outside_verdicts, outside_acts)
    thresholds = {
        name: max(near_miss[name], ordinary[name], outside[name]) for name in NEAR_MISS_BUDGET
    }
    # Never below the threshold at which a crisis guess is acted on at all.
    thresholds[CRISIS_FLOW] = max(
        thresholds["ask"],
        choose_crisis_flow(corpus, verdicts[:split], cuts[:split], acts[:split]),
        choose_crisis_flow(
            everyday, verdicts[split:], cuts[split:], acts[split:], CRISIS_FLOW_BUDGET / 5
        ),
        choose_crisis_flow(development, outside_verdicts, outside_cuts, outside_acts),
    )
    figures = evaluate(corpus, verdicts[:split], cuts[:split], acts[:split], thresholds)
    figures["everyday"] = evaluate(
        everyday, verdicts[split:], cuts[split:], acts[split:], thresholds
    )[NONE]
    figures["development_near_misses"] = evaluate(
        development, outside_verdicts, outside_cuts, outside_acts, thresholds
    )[NONE]
    return {
        "thresholds": thresholds,
        "folds": FOLDS,
        "corpus_size": len(corpus),
        "everyday_size": len(everyday),
        "cross_validation": figures,
    }


def main() -> int:
    settings = tune()
    header = (
        "# Written by `python -m bot.nlu.safety_classifier` from data/safety/corpus/: the\n"
        "# thresholds chosen on out-of-fold predictions, and the cross-validated figures at\n"
        "# them (flagged: risk at or above the label's threshold; right_label: and the right\n"
        "# label; near misses: the share flagged with an alarm label or an ask label;\n"
        "# crisis_flow: the share a crisis guess alone sends to the full crisis flow).\n"
    )
    SETTINGS_PATH.write_text(header + yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    print(yaml.safe_dump(settings, sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

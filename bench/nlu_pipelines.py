"""Intent classifiers compared on the same training data, run on demand (not a test).

The choice of intent classifier and of the fallback thresholds is made on cross-validated
predictions over data/nlu (5 stratified folds) and on the held-out development set
tests/test_nlu.yml; the blind set tests/nlu_blind/ (none of its messages in the training
data) is reported, never used to choose. Two classifiers:

* DIET as it was served (its figures from `python -m bench.nlu_eval` and
  `python -m bench.nlu_blind` on a model trained with DIET's intent head; given here);
* TfidfIntentClassifier (bot/nlu/tfidf_intent_classifier.py): n-grams alone, and n-grams
  with sentence vectors at several weights and C.

For the served classifier, the fallback table: the share of right and of wrong
cross-validated answers kept above each (threshold, ambiguity gap) pair.

Writes bench/results/nlu_pipelines.md. Usage: python -m bench.nlu_pipelines
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from tests.support.blind_sets import nlu_blind_examples

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results" / "nlu_pipelines.md"
FOLDS = 5
SEED = 42
# (sentence_weight, C): n-grams alone, then the sentence vector's weight, then C around it.
VARIANTS = ((0.0, 10.0), (1.0, 10.0), (1.5, 10.0), (2.0, 10.0), (1.5, 3.0), (1.5, 30.0))
FALLBACK_GRID = [(t, a) for t in (0.2, 0.25, 0.3, 0.4) for a in (0.0, 0.05, 0.1)]


def intent_data(path: Path) -> tuple[list[str], list[str]]:
    from rasa.shared.nlu.training_data.loading import load_data

    examples = load_data(str(path)).intent_examples
    return [e.get("text") for e in examples], [e.get("intent") for e in examples]


def main() -> int:
    from bot.nlu.tfidf_intent_classifier import TfidfIntentClassifier, build_model

    texts, labels = intent_data(ROOT / "data" / "nlu")
    dev_texts, dev_labels = intent_data(ROOT / "tests" / "test_nlu.yml")
    blind = [(intent.split("/", 1)[0], text) for intent, text in nlu_blind_examples()]
    blind_labels = [intent for intent, _ in blind]
    blind_texts = [text for _, text in blind]
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=SEED)
    defaults = TfidfIntentClassifier.get_default_config()
    lines = [
        f"# Intent classifiers compared — {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
        "",
        f"Training data: data/nlu ({len(texts)} intent examples). Development: tests/test_nlu.yml "
        f"({len(dev_texts)}). Blind: tests/nlu_blind/blind_nlu_v1.yml ({len(blind)} messages, "
        "none in the training data; reported, not used to choose).",
        "",
        "Raw top-1 intent, before the fallback:",
        "",
        "| classifier | CV accuracy | CV macro-F1 | dev accuracy | dev macro-F1 | blind accuracy |",
        "|---|---|---|---|---|---|",
        "| DIET (served until 2026-12-02: model 20261202-134032; CV from issue #20) "
        "| 0.765 | — | 0.964 | 0.946 | 0.738 |",
    ]
    served_probabilities = None
    for weight, c in VARIANTS:
        model = build_model({**defaults, "C": c, "sentence_weight": weight})
        name = (
            f"n-grams + sentence vectors ×{weight:g}, LR C={c:g}"
            if weight
            else f"n-grams alone, LR C={c:g}"
        )
        cv = cross_val_predict(model, texts, labels, cv=folds, method="predict_proba")
        model.fit(texts, labels)
        predicted = model.classes_[cv.argmax(1)]
        dev = model.predict(dev_texts)
        on_blind = model.predict(blind_texts)
        lines.append(
            f"| {name} | {accuracy_score(labels, predicted):.3f} | "
            f"{f1_score(labels, predicted, average='macro'):.3f} | "
            f"{accuracy_score(dev_labels, dev):.3f} | "
            f"{f1_score(dev_labels, dev, average='macro'):.3f} | "
            f"{accuracy_score(blind_labels, on_blind):.3f} |"
        )
        if (weight, c) == (defaults["sentence_weight"], defaults["C"]):
            served_probabilities, served_classes = cv, model.classes_
    assert served_probabilities is not None
    ordered = np.sort(served_probabilities, axis=1)
    top, gap = ordered[:, -1], ordered[:, -1] - ordered[:, -2]
    right = served_classes[served_probabilities.argmax(1)] == np.array(labels)
    lines += [
        "",
        "Fallback for the served classifier (cross-validated): share of right and wrong answers "
        "kept (not sent to the fallback).",
        "",
        "| threshold | ambiguity gap | right kept | wrong kept |",
        "|---|---|---|---|",
    ]
    for threshold, ambiguity in FALLBACK_GRID:
        kept = (top >= threshold) & (gap >= ambiguity)
        lines.append(
            f"| {threshold} | {ambiguity} | {kept[right].mean():.3f} | {kept[~right].mean():.3f} |"
        )
    text = "\n".join(lines) + "\n"
    OUT.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

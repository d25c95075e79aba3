"""NLU evaluation, run on demand (not a test): held-out accuracy and cross-validation.

1. Trains the NLU pipeline on data/ (or reuses the model when nothing changed) and
   evaluates it on the separately written held-out set tests/test_nlu.yml.
2. Runs `rasa test nlu --cross-validation --folds 5` on the training data.

Writes bench/results/nlu_eval.md: accuracy, macro-F1, the per-intent table and the
weakest intents; Rasa's full reports stay in build/results/nlu*/.

Usage: python -m bench.nlu_eval [--folds 5] [--skip-cv]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results"
RASA = [str(ROOT / ".venv" / "bin" / "rasa")]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}


def rasa(*args: str) -> None:
    subprocess.run([*RASA, *args], cwd=ROOT, env=ENV, check=True)


def load_report(folder: Path) -> dict:
    return json.loads((folder / "intent_report.json").read_text())


def response_report(folder: Path) -> dict | None:
    path = folder / "response_selection_report.json"
    return json.loads(path.read_text()) if path.exists() else None


def table(report: dict, title: str) -> list[str]:
    rows = {k: v for k, v in report.items() if isinstance(v, dict) and "f1-score" in v
            and k not in {"macro avg", "weighted avg", "micro avg"}}
    lines = [f"### {title}", "", "| label | precision | recall | F1 | n |", "|---|---|---|---|---|"]
    for label, v in sorted(rows.items(), key=lambda kv: kv[1]["f1-score"]):
        lines.append(f"| {label} | {v['precision']:.3f} | {v['recall']:.3f} | "
                     f"{v['f1-score']:.3f} | {v['support']} |")
    return lines + [""]


def summary(report: dict) -> tuple[float, float]:
    return report.get("accuracy", report.get("micro avg", {}).get("f1-score", 0.0)), report[
        "macro avg"]["f1-score"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--skip-cv", action="store_true")
    parser.add_argument("--reuse", action="store_true",
                        help="write the report from the last held-out run, without training")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)

    models = ROOT / "build" / "nlu-models"
    heldout = ROOT / "build" / "results" / "nlu-heldout"
    if not args.reuse:
        rasa("train", "nlu", "--config", "config.yml", "--nlu", "data", "--domain",
             "bot/domain", "--out", str(models), "--fixed-model-name", "nlu")
        rasa("test", "nlu", "--model", str(models / "nlu.tar.gz"), "--nlu", "tests/test_nlu.yml",
             "--domain", "bot/domain", "--out", str(heldout))
    intents = load_report(heldout)
    accuracy, macro_f1 = summary(intents)

    lines = [f"# NLU evaluation — {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC", "",
             f"Held-out set tests/test_nlu.yml: intent accuracy **{accuracy:.3f}**, "
             f"macro-F1 **{macro_f1:.3f}**.", ""]
    responses = response_report(heldout)
    if responses:
        r_acc, r_f1 = summary(responses)
        lines += [f"`learn` sub-intents (ResponseSelector): accuracy **{r_acc:.3f}**, "
                  f"macro-F1 **{r_f1:.3f}**.", ""]
    weakest = sorted((v["f1-score"], k) for k, v in intents.items()
                     if isinstance(v, dict) and "f1-score" in v
                     and k not in {"macro avg", "weighted avg", "micro avg"})[:3]
    lines += ["Weakest intents: " + ", ".join(f"{k} ({f:.3f})" for f, k in weakest), ""]
    lines += table(intents, "Held-out intents")
    if responses:
        lines += table(responses, "Held-out learn sub-intents")

    if not args.skip_cv:
        cv = ROOT / "build" / "results" / "nlu-cv"
        rasa("test", "nlu", "--config", "config.yml", "--nlu", "data", "--domain", "bot/domain",
             "--cross-validation", "--folds", str(args.folds), "--out", str(cv))
        cv_intents = load_report(cv)
        cv_acc, cv_f1 = summary(cv_intents)
        lines += [f"## {args.folds}-fold cross-validation on the training data", "",
                  f"Intent accuracy {cv_acc:.3f}, macro-F1 {cv_f1:.3f}.", ""]

    report = "\n".join(lines)
    (OUT / "nlu_eval.md").write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())

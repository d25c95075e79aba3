"""NLU evaluation, run on demand (not a test): held-out accuracy and cross-validation.

1. Trains the NLU pipeline on data/ and evaluates it on the separately written held-out
   set tests/test_nlu.yml (--reuse: report the last held-out run without training).
2. Runs `rasa test nlu --cross-validation --folds N` on the training data (--skip-cv:
   don't; --reuse: reuse the last cross-validation if data, config and folds are unchanged).

Writes bench/results/nlu_eval.md: accuracy, macro-F1, the per-intent table, the weakest
intents and the training time; Rasa's full reports stay in build/results/nlu*/.

Usage: python -m bench.nlu_eval [--folds 5] [--skip-cv] [--reuse]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results"
RASA = [str(ROOT / ".venv" / "bin" / "rasa")]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
RUN_INFO = "cadence_run.json"


def rasa(*args: str) -> float:
    """Runs a rasa command; returns the wall-clock seconds it took."""
    start = time.monotonic()
    subprocess.run([*RASA, *args], cwd=ROOT, env=ENV, check=True)
    return time.monotonic() - start


def fingerprint() -> str:
    """What the NLU results depend on: the NLU pipeline and the NLU training data."""
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    nlu_config = {key: config.get(key) for key in ("language", "pipeline")}
    digest = hashlib.sha256(json.dumps(nlu_config, sort_keys=True).encode())
    for path in sorted((ROOT / "data" / "nlu").rglob("*.yml")):
        digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def load_report(folder: Path) -> dict:
    return json.loads((folder / "intent_report.json").read_text())


def response_report(folder: Path) -> dict | None:
    path = folder / "response_selection_report.json"
    return json.loads(path.read_text()) if path.exists() else None


def run_info(folder: Path) -> dict:
    path = folder / RUN_INFO
    return json.loads(path.read_text()) if path.exists() else {}


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


def weakest(report: dict, n: int = 3) -> str:
    rows = sorted((v["f1-score"], k) for k, v in report.items()
                  if isinstance(v, dict) and "f1-score" in v
                  and k not in {"macro avg", "weighted avg", "micro avg"})[:n]
    return ", ".join(f"{k} ({f:.3f})" for f, k in rows)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--skip-cv", action="store_true")
    parser.add_argument("--reuse", action="store_true",
                        help="report the last held-out run (and a matching cross-validation) "
                             "without training")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)

    models = ROOT / "build" / "nlu-models"
    heldout = ROOT / "build" / "results" / "nlu-heldout"
    if not args.reuse:
        train_s = rasa("train", "nlu", "--config", "config.yml", "--nlu", "data", "--domain",
                       "bot/domain", "--out", str(models), "--fixed-model-name", "nlu")
        test_s = rasa("test", "nlu", "--model", str(models / "nlu.tar.gz"), "--nlu",
                      "tests/test_nlu.yml", "--domain", "bot/domain", "--out", str(heldout))
        (heldout / RUN_INFO).write_text(json.dumps(
            {"fingerprint": fingerprint(), "train_seconds": round(train_s),
             "test_seconds": round(test_s)}))
    intents = load_report(heldout)
    accuracy, macro_f1 = summary(intents)
    info = run_info(heldout)

    lines = [f"# NLU evaluation — {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC", "",
             f"Held-out set tests/test_nlu.yml: intent accuracy **{accuracy:.3f}**, "
             f"macro-F1 **{macro_f1:.3f}**.", ""]
    responses = response_report(heldout)
    if responses:
        r_acc, r_f1 = summary(responses)
        lines += [f"`learn` sub-intents (ResponseSelector): accuracy **{r_acc:.3f}**, "
                  f"macro-F1 **{r_f1:.3f}**.", ""]
    lines += [f"Weakest intents: {weakest(intents)}", ""]
    if responses:
        lines += [f"Weakest `learn` sub-intents: {weakest(responses)}", ""]
    if info:
        stale = "" if info.get("fingerprint") == fingerprint() else (
            " (data or config changed since this run)")
        lines += [f"NLU training took {info['train_seconds']} s, the held-out test "
                  f"{info['test_seconds']} s (wall clock, 2 CPU cores; Rasa reuses from its cache "
                  f"any component whose data and config did not change){stale}.", ""]
    lines += table(intents, "Held-out intents")
    if responses:
        lines += table(responses, "Held-out learn sub-intents")

    if not args.skip_cv:
        cv = ROOT / "build" / "results" / "nlu-cv"
        previous = run_info(cv)
        if not (args.reuse and previous.get("fingerprint") == fingerprint()
                and previous.get("folds") == args.folds):
            cv_s = rasa("test", "nlu", "--config", "config.yml", "--nlu", "data", "--domain",
                        "bot/domain", "--cross-validation", "--folds", str(args.folds),
                        "--out", str(cv))
            (cv / RUN_INFO).write_text(json.dumps(
                {"fingerprint": fingerprint(), "folds": args.folds, "seconds": round(cv_s)}))
        cv_info = run_info(cv)
        cv_intents = load_report(cv)
        cv_acc, cv_f1 = summary(cv_intents)
        lines += [f"## {args.folds}-fold cross-validation on the training data", "",
                  f"Intent accuracy {cv_acc:.3f}, macro-F1 {cv_f1:.3f}; "
                  f"weakest: {weakest(cv_intents)}.", ""]
        cv_responses = response_report(cv)
        if cv_responses:
            cr_acc, cr_f1 = summary(cv_responses)
            lines += [f"`learn` sub-intents: accuracy {cr_acc:.3f}, macro-F1 {cr_f1:.3f}; "
                      f"weakest: {weakest(cv_responses)}.", ""]
        lines += [f"({args.folds} trainings, {cv_info.get('seconds', '?')} s in all.)", ""]

    report = "\n".join(lines)
    (OUT / "nlu_eval.md").write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())

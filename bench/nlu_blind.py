"""How the served model understands a blind set, run on demand (not a test).

tests/nlu_blind/ holds sets written by an outside author who saw neither the training
data nor the other sets (see their headers): they are for reporting only, never for
writing examples. Every message goes through the served model (the whole NLU pipeline,
the language gate and the safety net included), as a first message would.

Reports intent accuracy and macro-F1 over the set's intents, the per-intent table, the
commonest confusions, and for `learn` questions the topic the ResponseSelector picked
(tests/nlu_blind/blind_learn_topics_v1.yml). None of its messages is in the training data
(tests/test_blind_sets.py). Writes bench/results/nlu_blind.md.

Usage: python -m bench.nlu_blind [--model MODEL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections import Counter
from pathlib import Path

from bench.learn_unseen import evaluate, load_agent
from tests.support.blind_sets import NLU_BLIND, nlu_blind_examples

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results" / "nlu_blind.md"
# Answered as the glossary, which Cadence also means for a question about a condition.
GLOSSARY = "define_term"


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def report(rows: list[dict], model: Path) -> str:
    for row in rows:
        row["want"] = row["topic"].split("/", 1)[0]
    intents = sorted({r["want"] for r in rows})
    n = len(rows)
    right = sum(r["intent"] == r["want"] for r in rows)
    table, scores = [], []
    for intent in intents:
        tp = sum(r["intent"] == intent == r["want"] for r in rows)
        fp = sum(r["intent"] == intent != r["want"] for r in rows)
        fn = sum(r["want"] == intent != r["intent"] for r in rows)
        scores.append(f1(tp, fp, fn))
        table.append(
            f"| {intent} | {tp / (tp + fp) if tp + fp else 0:.3f} | "
            f"{tp / (tp + fn) if tp + fn else 0:.3f} | {scores[-1]:.3f} | {tp + fn} |"
        )
    learn = [r for r in rows if r["want"] == "learn"]
    topic_right = sum(r["selected"] == r["topic"] for r in learn if r["intent"] == "learn")
    answered = sum(r["intent"] in ("learn", GLOSSARY) for r in learn)
    confusions = Counter((r["want"], r["intent"]) for r in rows if r["intent"] != r["want"])
    lines = [
        f"# Blind NLU set — {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
        "",
        f"Set: {NLU_BLIND.relative_to(ROOT)} ({n} messages, none in the training data). "
        f"Model: {model.name}, served pipeline.",
        "",
        f"Intent accuracy **{right / n:.3f}** ({right}/{n}), macro-F1 **"
        f"{sum(scores) / len(scores):.3f}** over {len(intents)} intents.",
        "",
        f"`learn` questions: {answered}/{len(learn)} answered as learn or glossary; topic right "
        f"{topic_right}/{len(learn)}.",
        "",
        "| intent | precision | recall | F1 | n |",
        "|---|---|---|---|---|",
        *table,
        "",
        "### Commonest confusions (wanted → got)",
        "",
        *[f"- {want} → {got}: {count}" for (want, got), count in confusions.most_common(15)],
        "",
        "### Misses",
        "",
        *[
            f'- {r["want"]} → {r["intent"]} ({r["confidence"]:.2f}): "{r["text"]}"'
            for r in rows
            if r["intent"] != r["want"]
        ],
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path)
    args = parser.parse_args()
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda path: path.stat().st_mtime)
    if args.model is None and not models:
        parser.error("no model in models/: run `make train` first, or pass --model")
    model = (args.model or models[-1]).resolve()
    agent = load_agent(model)  # first: it sets TensorFlow's options before Rasa loads it
    text = report(evaluate(agent, nlu_blind_examples()), model)
    OUT.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How the NLU does on a second held-out set of `learn` questions, run on demand (not a test).

tests/test_nlu.yml is the official held-out set, but its errors guided earlier training
examples, so it can flatter the model. The sets in bench/data/learn_unseen*.yml were
written later and never used to write training data; each is a check of that.

For every message: did DIET classify it as `learn` (or as a glossary question, which
Cadence also answers), and did the ResponseSelector pick its topic? Writes
bench/results/<set name>.md.

Usage: python -m bench.learn_unseen [SET] [--model MODEL]
       (default: the newest model in models/, the one `make run` serves)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results"
DEFAULT_SET = ROOT / "bench" / "data" / "learn_unseen_2.yml"
# Glossary questions ("what is central sensitisation") get the glossary's answer, which is
# what Cadence means to do: counted apart from real misses.
GLOSSARY = "define_term"


def examples(path: Path) -> list[tuple[str, str]]:
    """(learn/<topic>, message) pairs of a Rasa NLU file, read by Rasa's own loader."""
    from rasa.shared.nlu.training_data.loading import load_data

    return [
        (message.get("intent_response_key"), message.get("text"))
        for message in load_data(str(path)).intent_examples
    ]


def load_agent(model: Path):  # noqa: ANN201 - rasa's Agent, imported late
    from bot.serve import prepare

    prepare()
    import structlog
    from rasa.core.agent import Agent

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    return Agent.load(str(model))


def evaluate(agent, pairs: list[tuple[str, str]]) -> list[dict]:  # noqa: ANN001
    loop = asyncio.new_event_loop()
    rows = []
    for topic, text in pairs:
        parsed = loop.run_until_complete(agent.parse_message(text))
        selected = parsed.get("response_selector", {}).get("learn", {}).get("response", {})
        rows.append(
            {
                "text": text,
                "topic": topic,
                "intent": parsed["intent"]["name"],
                "confidence": parsed["intent"].get("confidence") or 0.0,
                "selected": selected.get("intent_response_key"),
            }
        )
    return rows


def report(rows: list[dict], set_path: Path, model: Path) -> str:
    n = len(rows)
    learn = sum(r["intent"] == "learn" for r in rows)
    glossary = sum(r["intent"] == GLOSSARY for r in rows)
    right = [r for r in rows if r["selected"] == r["topic"]]
    per_topic_n = Counter(r["topic"] for r in rows)
    per_topic_right = Counter(r["topic"] for r in right)
    lines = [
        f"# {set_path.stem} — {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
        "",
        f"Set: {set_path.relative_to(ROOT)} ({n} messages). Model: {model.name}.",
        "",
        "| measure | result |",
        "|---|---|",
        f"| classified as `learn` (DIET) | {learn} of {n} ({learn / n:.3f}) |",
        f"| … or as a glossary question, also answered | {learn + glossary} of {n} "
        f"({(learn + glossary) / n:.3f}) |",
        f"| topic chosen right (ResponseSelector) | {len(right)} of {n} ({len(right) / n:.3f}) |",
        "",
        "### Not classified as `learn`",
        "",
    ]
    lines += [
        f'- "{r["text"]}" → {r["intent"]} ({r["confidence"]:.2f})'
        for r in rows
        if r["intent"] != "learn"
    ] or ["- none"]
    lines += ["", "### Topic errors", ""]
    lines += [
        f'- "{r["text"]}": {r["topic"]} → {r["selected"]}'
        for r in rows
        if r["selected"] != r["topic"]
    ] or ["- none"]
    lines += ["", "### Per topic", "", "| topic | right | n |", "|---|---|---|"]
    lines += [
        f"| {topic} | {per_topic_right[topic]} | {count} |"
        for topic, count in sorted(per_topic_n.items())
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("set", nargs="?", type=Path, default=DEFAULT_SET)
    parser.add_argument("--model", type=Path)
    args = parser.parse_args()
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda path: path.stat().st_mtime)
    if args.model is None and not models:
        parser.error("no model in models/: run `make train` first, or pass --model")
    set_path, model = args.set.resolve(), (args.model or models[-1]).resolve()
    agent = load_agent(model)  # first: it sets TensorFlow's options before Rasa loads it
    text = report(evaluate(agent, examples(set_path)), set_path, model)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{set_path.stem}.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

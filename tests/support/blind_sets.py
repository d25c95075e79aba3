"""The sets written by outside authors (tests/safety_blind/, tests/safety_dev/,
tests/nlu_blind/) and what Cadence is trained on, compared as text.

A blind set's figures mean "wording nobody here wrote" only while none of its messages is
trained on: tests/test_blind_sets.py holds every set to that. The NLU reports
(bench/nlu_blind.py, bench/nlu_pipelines.py) read the blind NLU set through here.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.nlu.safety_corpus import load_corpus, nlu_examples

ROOT = Path(__file__).resolve().parents[2]
NLU_BLIND = ROOT / "tests" / "nlu_blind" / "blind_nlu_v1.yml"
NLU_BLIND_TOPICS = ROOT / "tests" / "nlu_blind" / "blind_learn_topics_v1.yml"
SAFETY_SETS = sorted((ROOT / "tests" / "safety_blind").glob("*.yml")) + sorted(
    (ROOT / "tests" / "safety_dev").glob("*.yml")
)


def text_key(text: str) -> str:
    """The same message whatever its case, punctuation or spacing."""
    return " ".join(re.sub(r"[^a-z ]", "", text.lower()).split())


def trained_keys() -> set[str]:
    """Every text Cadence learns from: the NLU examples and the safety corpus."""
    return {text_key(text) for _, text in nlu_examples()} | {
        text_key(e.text) for e in load_corpus()
    }


def nlu_blind_examples() -> list[tuple[str, str]]:
    """(intent, text) of the blind NLU set; a learn question's intent is learn/<topic>."""
    topics = yaml.safe_load(NLU_BLIND_TOPICS.read_text("utf-8"))["learn_topics"]
    topic_of = {item["text"]: item["topic"] for item in topics}
    pairs = []
    for block in yaml.safe_load(NLU_BLIND.read_text("utf-8"))["nlu"]:
        intent = block["intent"]
        for line in block["examples"].splitlines():
            text = line.strip().removeprefix("- ").strip()
            if text:
                pairs.append((f"learn/{topic_of[text]}" if intent == "learn" else intent, text))
    return pairs


def safety_set_texts() -> list[str]:
    return [
        entry["text"] for path in SAFETY_SETS for entry in yaml.safe_load(path.read_text("utf-8"))
    ]

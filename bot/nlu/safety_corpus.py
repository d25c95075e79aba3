"""The safety corpus in data/safety/corpus/: what each message is and which route it must get.

The corpus is development material: the patterns are written against it and the learned
safety classifier is trained on it. Blind sets (tests/safety_blind/) are never read here,
nor is the development set in tests/safety_dev/ (an outside author's messages, read to find
gaps and choose thresholds, kept out of training so its figures stay honest).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.nlu.safety_patterns import SAFETY_DIR

CORPUS_DIR = SAFETY_DIR / "corpus"
NLU_DIR = SAFETY_DIR.parent / "nlu"
# NLU intents whose examples are safety messages, so never everyday ones.
SAFETY_NLU_INTENTS = frozenset({"crisis", "red_flag"})
_ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\{[^}]*\}")
NONE = "none"
# Plain-text files, one message a line: which kind each holds.
TEXT_FILES = {
    "crisis": "crisis.txt",
    "concern": "concern.txt",
    "overdose": "overdose.txt",
    "harm_others": "harm_others.txt",
    "third_party": "third_party.txt",
    NONE: "near_miss.txt",
}
RED_FLAG_FILE = "red_flag.yml"
# Development sets written later by other authors, without seeing the patterns or the
# corpus ({text, kind, category?} entries): once read to find gaps, they are corpus too.
DEV_FILES = "dev_*.yml"


@dataclass(frozen=True)
class Example:
    text: str
    kind: str  # crisis, concern, overdose, harm_others, third_party, red_flag or none
    category: str | None = None  # red flags only

    @property
    def label(self) -> str:
        """The classifier's label: the kind, or red_flag:<category>."""
        return f"red_flag:{self.category}" if self.kind == "red_flag" else self.kind


def read_lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [
        line.strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def load_corpus(directory: Path | None = None) -> list[Example]:
    directory = Path(directory or CORPUS_DIR)
    examples = [
        Example(text, kind)
        for kind, name in TEXT_FILES.items()
        for text in read_lines(directory / name)
    ]
    flags = yaml.safe_load((directory / RED_FLAG_FILE).read_text(encoding="utf-8")) or []
    examples += [Example(str(c["text"]), "red_flag", str(c["category"])) for c in flags]
    for path in sorted(directory.glob(DEV_FILES)):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            category = entry.get("category")
            examples.append(
                Example(str(entry["text"]), str(entry["kind"]), str(category) if category else None)
            )
    return examples


DEVELOPMENT_DIR = SAFETY_DIR.parents[1] / "tests" / "safety_dev"


def load_outside_set(path: Path) -> list[Example]:
    """A set written by an outside author (tests/safety_blind/, tests/safety_dev/):
    {text, kind, subtype?, category?} entries, with the kinds of the corpus: a near miss
    is "none", and indirect crisis wording is a concern (the direct question is its route)."""
    examples = []
    for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
        kind = NONE if entry["kind"] == "near_miss" else str(entry["kind"])
        if kind == "crisis" and entry.get("subtype") == "indirect":
            kind = "concern"
        category = entry.get("category")
        examples.append(Example(str(entry["text"]), kind, str(category) if category else None))
    return examples


# The development sets whose near misses bound the classifier's thresholds. Set 3
# (external_dev_3.yml, mostly medicine talk and long check-ins) is read for gaps and
# reported, not yet a bound: when it was added, keeping its near misses within the alarm
# budget would have cost a fifth of the cross-validated overdose recall, and safety puts a
# missed overdose before a needless alarm. It becomes a bound once the classifier can
# keep it within budget without that loss. Set 4 (external_dev_4.yml, blind set v7 until
# blind set v9 was written) is a bound: the crisis-flow threshold is set by a handful of
# the highest-scoring near misses, and with sets 1 and 2 alone a few lines added to the
# corpus moved it a long way; more outside near misses keep it steadier.
THRESHOLD_SETS = ("external_dev.yml", "external_dev_2.yml", "external_dev_4.yml")


def development_near_misses(directory: Path | None = None) -> list[Example]:
    """The near misses of the outside authors' development sets that choose the
    classifier's thresholds (THRESHOLD_SETS in tests/safety_dev/): never trained on."""
    root = Path(directory or DEVELOPMENT_DIR)
    return [e for name in THRESHOLD_SETS for e in load_outside_set(root / name) if e.kind == NONE]


def by_kind(examples: list[Example], kind: str) -> list[Example]:
    return [e for e in examples if e.kind == kind]


def nlu_examples(directory: Path | None = None) -> list[tuple[str, str]]:
    """(intent, text) of every NLU training example in data/nlu/, entity markup removed."""
    examples = []
    for path in sorted(Path(directory or NLU_DIR).glob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            intent = block.get("intent")
            for line in str(block.get("examples") or "").splitlines() if intent else []:
                text = line.strip().removeprefix("- ").strip()
                if text:
                    examples.append((intent, _ANNOTATION.sub(lambda m: m[1] or m[2], text)))
    return examples


def everyday_examples(directory: Path | None = None) -> list[Example]:
    """What people ordinarily say to Cadence (the NLU examples of every other intent), as
    examples of no risk: without them the classifier has only near misses for "none" and
    reads "I want to do a check-in" like "I want to ..." of a crisis."""
    return [
        Example(text, NONE)
        for intent, text in nlu_examples(directory)
        if intent not in SAFETY_NLU_INTENTS
    ]

"""Build Cadence's spaCy pipeline: blank English plus an EntityRuler from patterns.yml.

Rasa's SpacyNLP loads the result by path, so nothing is downloaded at run time. The
pipeline has no word vectors; it gives Rasa a tokenizer and rule-based entities
(`body_location`, `symptom`, `technique`) and the count-vector featurizers do the rest.

Usage: python -m bot.nlp.build [OUTPUT_DIR]   (default: build/spacy/cadence_en)
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import spacy
import yaml

HERE = Path(__file__).resolve().parent
PATTERNS_FILE = HERE / "patterns.yml"
DEFAULT_OUTPUT = Path("build/spacy/cadence_en")
STAMP_NAME = "patterns.sha256"


def load_patterns(path: Path = PATTERNS_FILE) -> list[dict]:
    """Turn {label: [phrase, ...]} into EntityRuler token patterns."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    patterns = []
    for label, phrases in data.items():
        for phrase in phrases:
            tokens = [{"LOWER": part} for part in phrase.lower().split()]
            patterns.append({"label": label, "pattern": tokens})
    return patterns


def build_pipeline(path: Path = PATTERNS_FILE) -> spacy.language.Language:
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True})
    ruler.add_patterns(load_patterns(path))
    return nlp


def patterns_digest(path: Path = PATTERNS_FILE) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(output: Path = DEFAULT_OUTPUT) -> bool:
    """Write the pipeline unless an identical one is already there. Returns True if built."""
    stamp = output / STAMP_NAME
    digest = patterns_digest()
    if stamp.exists() and stamp.read_text().strip() == digest:
        return False
    output.parent.mkdir(parents=True, exist_ok=True)
    build_pipeline().to_disk(output)
    stamp.write_text(digest)
    return True


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT
    built = build(out)
    print(f"spaCy pipeline {'built' if built else 'up to date'} at {out}")

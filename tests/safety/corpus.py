"""Loaders for the safety corpus (also used by the end-to-end harness).

from tests.safety.corpus import crisis_lines, red_flag_cases, near_miss_lines
"""

from __future__ import annotations

from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parents[2] / "data" / "safety" / "corpus"
RED_FLAG_CATEGORIES = ("cauda_equina", "stroke", "chest_pain", "infection_cancer", "injury")


def _lines(name: str) -> list[str]:
    text = (HERE / name).read_text(encoding="utf-8")
    return [
        line.rstrip("\n") for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]


def crisis_lines() -> list[str]:
    """Phrasings that must start the crisis flow."""
    return _lines("crisis.txt")


def near_miss_lines() -> list[str]:
    """Idioms and questions that must not start the crisis flow."""
    return _lines("near_miss.txt")


def red_flag_cases() -> list[dict[str, str]]:
    """[{"text": ..., "category": ...}] that must start the red-flag flow."""
    data = yaml.safe_load((HERE / "red_flag.yml").read_text(encoding="utf-8")) or []
    return [{"text": str(c["text"]), "category": str(c["category"])} for c in data]

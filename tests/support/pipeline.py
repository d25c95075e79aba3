"""The NLU pipeline as config.yml declares it, for tests that check a component's settings."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def pipeline_step(key: str, value: str) -> dict:
    """The first pipeline entry whose `key` is `value` (e.g. "name" or "alias")."""
    pipeline = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    return next(step for step in pipeline if step.get(key) == value)

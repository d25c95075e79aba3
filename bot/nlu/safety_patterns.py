"""Deterministic crisis / red-flag matcher (pure Python, no Rasa import).

The patterns live in ``data/safety/patterns.yml``; see the comments at its top for the
order in which corrections, exclusions, crisis, red-flag and concern patterns apply.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.nlu.normalise import compile_corrections, variants

CRISIS = "crisis"
RED_FLAG = "red_flag"
RED_FLAG_CATEGORIES = ("cauda_equina", "stroke", "chest_pain", "infection_cancer", "injury")

DEFAULT_PATTERNS_PATH = Path(__file__).resolve().parents[2] / "data" / "safety" / "patterns.yml"
_MACRO = re.compile(r"\{([A-Z_]+)\}")
_CUT = " | "


@dataclass(frozen=True)
class _Rule:
    id: str
    regexes: tuple[re.Pattern[str], ...]
    category: str | None = None
    scope: str = "both"
    light_check: bool = False

    def search(self, text: str) -> bool:
        return all(regex.search(text) for regex in self.regexes)


@dataclass
class SafetyMatch:
    """What the net saw in one message."""

    kind: str | None = None  # "crisis", "red_flag" or None
    category: str | None = None  # red-flag category
    rule_id: str | None = None
    idioms: list[str] = field(default_factory=list)  # exclusion ids that matched
    light_check: bool = False  # idiom or distress worth a light "are you OK?"
    concern: list[str] = field(default_factory=list)  # concern ids that matched
    normalised: str = ""

    @property
    def fired(self) -> bool:
        return self.kind is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "category": self.category,
            "rule": self.rule_id,
            "idioms": list(self.idioms),
            "light_check": self.light_check,
            "concern": list(self.concern),
        }


def match_form(text: str) -> str:
    """Normalised text in the form patterns are written for: no apostrophes."""
    return text.replace("'", "")


class SafetyMatcher:
    """Compiled safety patterns. Build once, call :meth:`match` per message."""

    def __init__(self, spec: dict[str, Any]) -> None:
        macros = {k: v for k, v in (spec.get("macros") or {}).items()}
        self.corrections = compile_corrections(
            (str(wrong), str(right)) for wrong, right in spec.get("corrections") or []
        )
        self.exclusions = [self._rule(r, macros) for r in spec.get("exclusions") or []]
        self.crisis = [self._rule(r, macros) for r in spec.get("crisis") or []]
        self.red_flags = [self._rule(r, macros) for r in spec.get("red_flags") or []]
        self.concern = [self._rule(r, macros) for r in spec.get("concern") or []]
        for rule in self.red_flags:
            if rule.category not in RED_FLAG_CATEGORIES:
                raise ValueError(f"red flag {rule.id!r} has unknown category {rule.category!r}")

    @classmethod
    def from_file(cls, path: str | os.PathLike[str] | None = None) -> SafetyMatcher:
        path = Path(path or os.environ.get("CADENCE_SAFETY_PATTERNS") or DEFAULT_PATTERNS_PATH)
        with open(path, encoding="utf-8") as handle:
            return cls(yaml.safe_load(handle))

    @staticmethod
    def _expand(pattern: str, macros: dict[str, str]) -> str:
        def replace(m: re.Match[str]) -> str:
            if m.group(1) not in macros:
                raise ValueError(f"unknown macro {{{m.group(1)}}} in {pattern!r}")
            return macros[m.group(1)]

        return _MACRO.sub(replace, pattern)

    def _rule(self, raw: dict[str, Any], macros: dict[str, str]) -> _Rule:
        sources = raw.get("all") or [raw["pattern"]]
        try:
            regexes = tuple(re.compile(self._expand(s, macros)) for s in sources)
        except re.error as exc:
            raise ValueError(f"pattern {raw.get('id')!r} does not compile: {exc}") from exc
        return _Rule(
            id=str(raw["id"]),
            regexes=regexes,
            category=raw.get("category"),
            scope=raw.get("scope", "both"),
            light_check=bool(raw.get("light_check", False)),
        )

    def _cut(self, text: str, scope: str, seen: list[_Rule]) -> str:
        for rule in self.exclusions:
            if rule.scope not in (scope, "both"):
                continue
            # exclusions are single-regex by construction
            regex = rule.regexes[0]
            if regex.search(text):
                seen.append(rule)
                text = regex.sub(_CUT, text)
        return text

    def match(self, text: str) -> SafetyMatch:
        forms = [match_form(v) for v in variants(text or "", self.corrections)]
        result = SafetyMatch(normalised=forms[0] if forms else "")
        seen: list[_Rule] = []
        crisis_forms = [self._cut(f, CRISIS, seen) for f in forms]
        red_forms = [self._cut(f, RED_FLAG, seen) for f in forms]

        for rule in self.crisis:
            if any(rule.search(f) for f in crisis_forms):
                result.kind, result.rule_id = CRISIS, rule.id
                break
        if result.kind is None:
            for rule in self.red_flags:
                if any(rule.search(f) for f in red_forms):
                    result.kind, result.category, result.rule_id = RED_FLAG, rule.category, rule.id
                    break

        result.idioms = sorted({r.id for r in seen})
        result.concern = [r.id for r in self.concern if any(r.search(f) for f in crisis_forms)]
        result.light_check = result.kind is None and (
            any(r.light_check for r in seen) or bool(result.concern)
        )
        return result


_default: SafetyMatcher | None = None


def default_matcher() -> SafetyMatcher:
    global _default
    if _default is None:
        _default = SafetyMatcher.from_file()
    return _default


def match(text: str) -> SafetyMatch:
    """Matches ``text`` with the patterns in data/safety/patterns.yml."""
    return default_matcher().match(text)

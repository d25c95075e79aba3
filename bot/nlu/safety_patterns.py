"""Deterministic safety matcher (pure Python, no Rasa import).

The patterns live in ``data/safety/patterns/`` (every ``*.yml`` there, joined); see the
comments at the top of ``common.yml`` for the order in which corrections, exclusions and
each kind of pattern apply. The red-flag categories and their urgency are in
``data/safety/red_flags.yml``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.nlu.normalise import compile_corrections, normalise, variants

OVERDOSE = "overdose"
CRISIS = "crisis"
HARM_OTHERS = "harm_others"
THIRD_PARTY = "third_party"
RED_FLAG = "red_flag"
CONCERN = "concern"
# The kinds a pattern can give, in the order they are searched: the first that matches
# wins. Someone else's crisis comes before one's own, whose patterns ("suicidal") would
# otherwise take "my friend is suicidal".
KINDS = (OVERDOSE, THIRD_PARTY, CRISIS, HARM_OTHERS, RED_FLAG)
# Kinds that the `crisis` exclusion scope (idioms, research questions) applies to.
MENTAL_HEALTH_KINDS = (OVERDOSE, CRISIS, HARM_OTHERS, THIRD_PARTY, CONCERN)

SAFETY_DIR = Path(__file__).resolve().parents[2] / "data" / "safety"
DEFAULT_PATTERNS_PATH = SAFETY_DIR / "patterns"
RED_FLAGS_PATH = SAFETY_DIR / "red_flags.yml"


def load_red_flag_categories(path: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """{category: urgency} from data/safety/red_flags.yml, in the file's order."""
    with open(path or RED_FLAGS_PATH, encoding="utf-8") as handle:
        spec = yaml.safe_load(handle)
    return {name: str(entry["urgency"]) for name, entry in spec["categories"].items()}


RED_FLAG_CATEGORIES = tuple(load_red_flag_categories())
_MACRO = re.compile(r"\{([A-Z_]+)\}")
_CUT = " | "


@dataclass(frozen=True)
class _Rule:
    id: str
    regexes: tuple[re.Pattern[str], ...]
    category: str | None = None
    scope: str = "both"
    light_check: bool = False
    # an exclusion that still deserves the direct question (a past attempt told as past)
    ask: bool = False

    def search(self, text: str) -> bool:
        return all(regex.search(text) for regex in self.regexes)


@dataclass
class SafetyMatch:
    """What the net saw in one message."""

    kind: str | None = None  # one of KINDS, or None
    category: str | None = None  # red-flag category
    rule_id: str | None = None
    idioms: list[str] = field(default_factory=list)  # exclusion ids that matched
    cut_scopes: set[str] = field(default_factory=set)  # scopes of the exclusions that matched
    light_check: bool = False  # idiom or distress worth a light "are you OK?"
    concern: list[str] = field(default_factory=list)  # concern ids that matched
    normalised: str = ""
    cut_text: str = ""  # normalised, with every exclusion cut out (the classifier's input)

    @property
    def fired(self) -> bool:
        return self.kind is not None

    def words_left(self) -> list[str]:
        """The words of cut_text, without the marks where exclusions were cut out."""
        return [word for word in self.cut_text.split() if word != _CUT.strip()]

    def was_cut_for(self, scope: str) -> bool:
        """Whether an idiom, question or explanation was cut out for this scope."""
        return bool(self.cut_scopes & {scope, "both"})

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


_SECTIONS = {
    OVERDOSE: "overdose",
    CRISIS: "crisis",
    HARM_OTHERS: "harm_others",
    THIRD_PARTY: "third_party",
    RED_FLAG: "red_flags",
}


class SafetyMatcher:
    """Compiled safety patterns. Build once, call :meth:`match` per message."""

    def __init__(self, spec: dict[str, Any]) -> None:
        macros = {k: v for k, v in (spec.get("macros") or {}).items()}
        self.corrections = compile_corrections(
            (str(wrong), str(right)) for wrong, right in spec.get("corrections") or []
        )
        self.exclusions = [self._rule(r, macros) for r in spec.get("exclusions") or []]
        self.rules = {
            kind: [self._rule(r, macros) for r in spec.get(_SECTIONS[kind]) or []] for kind in KINDS
        }
        self.concern = [self._rule(r, macros) for r in spec.get("concern") or []]
        for rule in self.red_flags:
            if rule.category not in RED_FLAG_CATEGORIES:
                raise ValueError(f"red flag {rule.id!r} has unknown category {rule.category!r}")

    @property
    def crisis(self) -> list[_Rule]:
        return self.rules[CRISIS]

    @property
    def red_flags(self) -> list[_Rule]:
        return self.rules[RED_FLAG]

    @classmethod
    def from_file(cls, path: str | os.PathLike[str] | None = None) -> SafetyMatcher:
        """From a patterns file, or a folder of them (joined in name order)."""
        path = Path(path or os.environ.get("CADENCE_SAFETY_PATTERNS") or DEFAULT_PATTERNS_PATH)
        files = sorted(path.glob("*.yml")) if path.is_dir() else [path]
        spec: dict[str, Any] = {}
        for file in files:
            with open(file, encoding="utf-8") as handle:
                for key, value in (yaml.safe_load(handle) or {}).items():
                    if isinstance(value, list):
                        spec.setdefault(key, []).extend(value)
                    elif isinstance(value, dict):
                        spec.setdefault(key, {}).update(value)
                    else:
                        spec[key] = value
        return cls(spec)

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
            ask=bool(raw.get("ask", False)),
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

    def cut_form(self, text: str) -> str:
        """The first normal form with every exclusion cut out, without searching any rule:
        what the classifier reads (equal to ``match(text).cut_text``)."""
        form = match_form(normalise(text or "", self.corrections))
        return self._cut(self._cut(form, CRISIS, []), RED_FLAG, [])

    def cut(self, text: str) -> SafetyMatch:
        """What the exclusions cut out of `text` (cut_text, idioms, cut_scopes), without
        searching any rule: what decides whether and how the classifier is heard."""
        return self._cut_variants(text)[0]

    def _cut_variants(self, text: str) -> tuple[SafetyMatch, list[str], list[str], list[_Rule]]:
        forms = [match_form(v) for v in variants(text or "", self.corrections)]
        result = SafetyMatch(normalised=forms[0] if forms else "")
        seen: list[_Rule] = []
        crisis_forms = [self._cut(f, CRISIS, seen) for f in forms]
        red_forms = [self._cut(f, RED_FLAG, seen) for f in forms]
        result.cut_text = self._cut(crisis_forms[0], RED_FLAG, []) if forms else ""
        result.idioms = sorted({r.id for r in seen})
        result.cut_scopes = {r.scope for r in seen}
        return result, crisis_forms, red_forms, seen

    def match(self, text: str) -> SafetyMatch:
        result, crisis_forms, red_forms, seen = self._cut_variants(text)
        for kind in KINDS:
            searched = red_forms if kind == RED_FLAG else crisis_forms
            rule = next((r for r in self.rules[kind] if any(r.search(f) for f in searched)), None)
            if rule is not None:
                result.kind, result.rule_id = kind, rule.id
                result.category = rule.category if kind == RED_FLAG else None
                break

        result.concern = [r.id for r in self.concern if any(r.search(f) for f in crisis_forms)]
        result.concern += sorted({r.id for r in seen if r.ask})
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
    """Matches ``text`` with the patterns in data/safety/patterns/."""
    return default_matcher().match(text)

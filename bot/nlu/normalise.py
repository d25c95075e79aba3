"""Text normalisation for the safety net.

Pure Python on purpose (no Rasa import) so it can be unit tested and reused by the
end-to-end harness. The safety patterns in ``data/safety/patterns.yml`` are written
against the output of :func:`normalise`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Typographic apostrophes, primes and backticks people (and phone keyboards) type.
_APOSTROPHES = "\u2018\u2019\u201a\u201b\u2032\u2035\u02bc\u02bb\u0060\u00b4\uff07"
_QUOTES = "\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb\uff02"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"

_TRANSLATION = {ord(c): "'" for c in _APOSTROPHES}
_TRANSLATION.update({ord(c): '"' for c in _QUOTES})
_TRANSLATION.update({ord(c): "-" for c in _DASHES})

# Zero-width and other invisible format characters (category Cf covers U+200B..U+200F,
# U+2060 WORD JOINER, U+FEFF, soft hyphen); listed explicitly as well for clarity.
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff", "\u00ad"}

_REPEATS_3PLUS = re.compile(r"([a-z])\1{2,}")
_WHITESPACE = re.compile(r"\s+")


def _strip_invisible(text: str) -> str:
    return "".join(ch for ch in text if ch not in _INVISIBLE and unicodedata.category(ch) != "Cf")


def collapse_repeats(text: str, keep: int = 2) -> str:
    """Collapses a letter repeated 3+ times to ``keep`` copies ("diiiie" -> "diie")."""
    return _REPEATS_3PLUS.sub(lambda m: m.group(1) * keep, text)


def compile_corrections(pairs: Iterable[tuple[str, str]]) -> list[tuple[re.Pattern[str], str]]:
    """Turns (wrong, right) pairs into whole-word regex substitutions."""
    compiled = []
    for wrong, right in pairs:
        wrong = wrong.strip().lower()
        if not wrong:
            continue
        pattern = re.compile(r"(?<![\w'])" + re.escape(wrong).replace(r"\ ", r"\s+") + r"(?![\w'])")
        compiled.append((pattern, right.strip().lower()))
    return compiled


def apply_corrections(text: str, corrections: Iterable[tuple[re.Pattern[str], str]]) -> str:
    for pattern, right in corrections:
        text = pattern.sub(right, text)
    return text


def normalise(
    text: str,
    corrections: Iterable[tuple[re.Pattern[str], str]] = (),
    keep_repeats: int = 2,
) -> str:
    """Returns the canonical form the safety patterns are matched against.

    Steps: Unicode NFKC, strip zero-width characters, typographic apostrophes/quotes/
    dashes to ASCII, lowercase, letters repeated 3+ times collapsed to ``keep_repeats``,
    whitespace collapsed, then whole-word misspelling corrections.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = _strip_invisible(text)
    text = text.translate(_TRANSLATION)
    text = text.casefold()
    text = collapse_repeats(text, keep_repeats)
    text = _WHITESPACE.sub(" ", text).strip()
    text = apply_corrections(text, corrections)
    return _WHITESPACE.sub(" ", text).strip()


def variants(text: str, corrections: Iterable[tuple[re.Pattern[str], str]] = ()) -> list[str]:
    """The normalised text, plus a variant with 3+ repeats collapsed to one letter.

    "killlll" needs two letters back ("kill") but "diiiie" needs one ("die"); matching
    both variants covers either without writing every pattern twice.
    """
    corrections = list(corrections)
    first = normalise(text, corrections, keep_repeats=2)
    second = normalise(text, corrections, keep_repeats=1)
    return [first] if first == second else [first, second]

"""The normaliser the safety patterns are written against (pure Python)."""

from __future__ import annotations

import pytest

from bot.nlu.normalise import collapse_repeats, compile_corrections, normalise, variants
from bot.nlu.safety_patterns import default_matcher


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("I WANT TO DIE", "i want to die"),
        ("I\u2019m done", "i'm done"),
        ("don\u2018t", "don't"),
        ("\u201cquote\u201d", '"quote"'),
        ("i\u2060 want to die", "i want to die"),
        ("end my life\u200b tonight", "end my life tonight"),
        ("zero\u200d\u200c\ufeffwidth", "zerowidth"),
        ("  lots   of\t\nspace  ", "lots of space"),
        ("so tiiiiired", "so tiired"),
        ("\uff29 want", "i want"),  # full-width letters (NFKC)
        ("", ""),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_collapse_repeats_keeps_the_requested_number() -> None:
    assert collapse_repeats("diiiie", keep=1) == "die"
    assert collapse_repeats("killllll", keep=2) == "kill"
    assert collapse_repeats("better", keep=1) == "better"  # only 3+ repeats change


def test_variants_cover_both_collapse_lengths() -> None:
    assert variants("diiiie killllll") == ["diie kill", "die kil"]
    assert variants("plain text") == ["plain text"]


def test_corrections_are_whole_words() -> None:
    corrections = compile_corrections([("sucide", "suicide"), ("kil myself", "kill myself")])
    assert normalise("thinking of sucide", corrections) == "thinking of suicide"
    assert normalise("i will kil  myself", corrections) == "i will kill myself"
    assert normalise("sucidex", corrections) == "sucidex"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("sucide", "suicide"),
        ("suicidel", "suicidal"),
        ("I wnat to die", "i want to die"),
        ("going to kil myself", "going to kill myself"),
        ("wanna die", "want to die"),
        ("gonna kms", "going to kill myself"),
    ],
)
def test_misspelling_table_from_patterns_file(raw: str, expected: str) -> None:
    assert normalise(raw, default_matcher().corrections) == expected

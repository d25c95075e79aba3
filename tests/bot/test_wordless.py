"""Messages with no words: a thumbs up is a yes, a thumbs down a no, the rest a nudge."""

from __future__ import annotations

import pytest

from bot.nlu.wordless import WORDLESS_ATTRIBUTE, reading


@pytest.mark.parametrize("text", ["👍", "👍🏽", " 👍👍 ", "👌", "✅", "✔️"])
def test_a_thumbs_up_alone_is_a_yes(text: str) -> None:
    assert reading(text) == "affirm"


@pytest.mark.parametrize("text", ["👎", "👎🏿", "❌"])
def test_a_thumbs_down_alone_is_a_no(text: str) -> None:
    assert reading(text) == "deny"


@pytest.mark.parametrize("text", ["🙂", "😭😭", "...", "?", "🙂👍", "💤"])
def test_other_messages_without_words_get_the_nudge(text: str) -> None:
    assert reading(text) == WORDLESS_ATTRIBUTE


@pytest.mark.parametrize("text", ["ok 👍", "7", "so tired 😴", "/affirm", "", "   ", "мне больно"])
def test_messages_with_words_digits_or_payloads_are_read_as_usual(text: str) -> None:
    assert reading(text) is None

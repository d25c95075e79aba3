"""Messages with no words in them: emoji, punctuation, a stray "?".

A thumbs up (or OK, a tick) is a yes and a thumbs down (or a cross) a no, as people mean
them in chat; anything else without a letter or a digit is "wordless". Read by the NLU's
WordlessGate (bot/nlu/wordless_gate.py) and by the fallback action, which answers a
wordless message with a friendly nudge.
"""

from __future__ import annotations

import unicodedata

WORDLESS_ATTRIBUTE = "wordless"
# Emoji that answer a yes/no question (skin tones and variation selectors are ignored).
YES = frozenset("👍👌✅✔☑🆗🙆")
NO = frozenset("👎❌✖🙅⛔")
_IGNORED = frozenset("\ufe0f\u200d")  # variation selector, zero-width joiner


def _symbols(text: str) -> list[str]:
    """The characters that carry meaning: no spaces, skin tones or joiners."""
    return [
        c
        for c in text
        if not c.isspace()
        and c not in _IGNORED
        and not ("\U0001f3fb" <= c <= "\U0001f3ff")  # skin-tone modifiers
    ]


def has_words(text: str) -> bool:
    """Whether any letter or digit is in the text (in any script)."""
    return any(unicodedata.category(c)[0] in "LN" for c in text)


def reading(text: str) -> str | None:
    """What a message without words means: "affirm", "deny", WORDLESS_ATTRIBUTE for
    anything else, or None when it has words (or is empty, or a payload)."""
    if not text or text.startswith("/") or has_words(text):
        return None
    symbols = _symbols(text)
    if not symbols:
        return None
    if all(c in YES for c in symbols):
        return "affirm"
    if all(c in NO for c in symbols):
        return "deny"
    return WORDLESS_ATTRIBUTE

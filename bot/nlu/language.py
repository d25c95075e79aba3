"""Whether a message is written in a language other than English.

Cadence understands English only; a message in another language deserves a short notice
saying so (and where the helplines are), not "say it another way". Two signs, either
enough: most letters are from a script English does not use, or the words include
several common function words of another European language and none of English.
"""

from __future__ import annotations

import re
import unicodedata

# Frequent words of Spanish, French, German, Portuguese, Italian and Dutch that are not
# also English words (no "a", "i", "me", "no", "on", "die", "the"...).
_FOREIGN_WORDS = frozenset(
    """
    el la los las que por para estoy tengo muy mucho dolor cansado cansada ayuda hola
    gracias porque pero cuando donde como usted puedo necesito tambien siempre nunca je
    suis tres beaucoup douleur fatiguee aide bonjour merci avec pour mais jai est une
    les des pas moi vous nous ich bin sehr schmerzen mude hilfe hallo danke und nicht
    mit fur aber habe eine ist das sind estou muito dor obrigado obrigada voce nao sono
    molto stanco stanca aiuto grazie ciao ho della ik ben heel moe pijn hulp dank niet
    een het
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
# Frequent English words that are not also words of those languages ("no", "a", "me" are).
_ENGLISH_WORDS = frozenset(
    """
    i im my the an and is are am was to of in it this that you your what how why can do
    not yes so but have has feel tired pain help with for on at be
    """.split()  # noqa: SIM905
)
# The parse-data attribute bot/nlu/language_gate.py sets on such a message, and its value:
# what the fallback action reads, so the question is answered once.
LANGUAGE_ATTRIBUTE = "language"
OTHER_LANGUAGE = "other"
_WORD = re.compile(r"[^\W\d_]+")


def _fold(text: str) -> str:
    """Lower case without accents: "fatiguée" -> "fatiguee", "müde" -> "mude"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def looks_non_english(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    latin = sum("LATIN" in unicodedata.name(c, "") for c in letters)
    if latin < len(letters) / 2:
        return True
    words = _WORD.findall(_fold(text))
    foreign = sum(w in _FOREIGN_WORDS for w in words)
    english = sum(w in _ENGLISH_WORDS for w in words)
    return foreign >= 2 and english == 0

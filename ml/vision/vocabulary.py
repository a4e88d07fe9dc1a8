"""Text -> image without CLIP, through the classifier's own vocabulary (ImageNet-1k).

A query is compared (MiniLM cosine) with every ImageNet class in two wordings: its WordNet
lemmas (``"tabby, tabby cat"``) and lemmas with the WordNet gloss (``"tabby, tabby cat: a cat
with a grey or tawny coat ..."``); a class's similarity is the better of the two. The classes
the query names are those within reach of the best one, each with a *relevance* in (0, 1]
(1 for the best, ``exp((similarity - best) / temperature)`` for the others). A frame's score is

    score = sum over those classes of relevance * P(class | frame)

with P the CNN's softmax for the frame, so the score lies in [0, 1] (the probabilities sum to
one) and reads as "how much of what the model saw is what the query names". Nothing but the
model's probabilities enters it: a class the model gave no probability adds nothing, and
:meth:`QueryClasses.seen` names a class only where the model gave it ``min_probability``.

When no class reaches ``min_similarity`` (``"dark neon cyberpunk vibe"``: its best class is
"velvet" at 0.35), the query names nothing ImageNet knows and the channel stays silent.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ml.vision import imagenet

MIN_SIMILARITY = 0.5
TEMPERATURE = 0.1
MIN_RELEVANCE = 0.05
MAX_CLASSES = 20
SEEN_PROBABILITY = 0.05
TEXT_DIM = 384


def sentence_vectors(texts: list[str], *, cache_dir: Path | None = None) -> np.ndarray:
    """L2-normalised MiniLM sentence embeddings ``(n, 384)`` float32 (``ml.text.minilm``'s
    mean-pooled half, the sentence-transformers embedding of a short text); ``cache_dir``
    keeps vectors already computed."""
    from ml.text.minilm import EMBED_DIM, embed_texts

    vectors = embed_texts(list(texts), cache_dir=cache_dir)[:, :EMBED_DIM].astype(np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


@functools.cache
def class_wordings() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The 1000 classes as lemmas and as lemmas with their WordNet gloss, in output order."""
    from timm.data import ImageNetInfo

    info = ImageNetInfo("imagenet-1k")
    glossed = tuple(info.index_to_description(i, detailed=True) for i in range(info.num_classes()))
    return imagenet.class_descriptions(), glossed


def class_text_vectors(cache_dir: Path | None = None) -> np.ndarray:
    """MiniLM vectors of both wordings of every class: ``(2, 1000, 384)`` float32.

    They depend only on the bundled MiniLM and the class list, so one process computes them
    once (``cache_dir`` keeps them on disk across processes too).
    """
    if "vectors" not in _MEMO:
        names, glossed = class_wordings()
        vectors = sentence_vectors([*names, *glossed], cache_dir=cache_dir)
        _MEMO["vectors"] = vectors.reshape(2, imagenet.N_CLASSES, TEXT_DIM)
    return _MEMO["vectors"]


_MEMO: dict[str, np.ndarray] = {}


@dataclass(frozen=True)
class QueryClasses:
    """The ImageNet classes a query names, most relevant first (none when it names none)."""

    indices: np.ndarray  # (m,) int class indices
    similarity: np.ndarray  # (m,) MiniLM cosine of the query with the class
    relevance: np.ndarray  # (m,) in (0, 1], 1 for the best class

    @property
    def empty(self) -> bool:
        return len(self.indices) == 0

    def names(self) -> list[str]:
        """The classes' first lemmas."""
        return [imagenet.class_descriptions()[i].split(",")[0] for i in self.indices]

    def weights(self) -> np.ndarray:
        """Relevance as a dense ``(1000,)`` float32 vector (zero for the other classes)."""
        out = np.zeros(imagenet.N_CLASSES, dtype=np.float32)
        out[self.indices] = self.relevance
        return out

    def scores(self, probs: np.ndarray) -> np.ndarray:
        """The bridge score of each frame: ``probs (n, 1000) @ weights`` -> ``(n,)``."""
        return np.asarray(probs, dtype=np.float64) @ self.weights().astype(np.float64)

    def seen(
        self, probs: np.ndarray, *, min_probability: float = SEEN_PROBABILITY
    ) -> list[tuple[str, float]]:
        """The query's classes the model saw in one frame (``probs (1000,)``): name and the
        model's probability, for those with at least ``min_probability``, by contribution."""
        names = self.names()
        hits = [
            (names[j], float(probs[i]), float(probs[i]) * float(self.relevance[j]))
            for j, i in enumerate(self.indices)
            if probs[i] >= min_probability
        ]
        return [(name, p) for name, p, _ in sorted(hits, key=lambda h: -h[2])]


class LabelBridge:
    """Query text -> ImageNet classes -> frames, by the frames' class probabilities.

    Parameters
    ----------
    class_vectors
        ``(views, 1000, 384)`` MiniLM vectors of the class wordings (:func:`class_text_vectors`);
        None computes them here (about 15 s of MiniLM on 2 cores).
    """

    def __init__(
        self,
        class_vectors: np.ndarray | None = None,
        *,
        min_similarity: float = MIN_SIMILARITY,
        temperature: float = TEMPERATURE,
        min_relevance: float = MIN_RELEVANCE,
        max_classes: int = MAX_CLASSES,
    ):
        self.class_vectors = np.asarray(
            class_text_vectors() if class_vectors is None else class_vectors, dtype=np.float32
        )
        if self.class_vectors.shape[1:] != (imagenet.N_CLASSES, TEXT_DIM):
            raise ValueError(f"class vectors of shape {self.class_vectors.shape}")
        self.min_similarity, self.temperature = min_similarity, temperature
        self.min_relevance, self.max_classes = min_relevance, max_classes

    def similarities(self, query_vector: np.ndarray) -> np.ndarray:
        """MiniLM cosine of a query vector ``(384,)`` with every class ``(1000,)``."""
        return (self.class_vectors @ np.asarray(query_vector, np.float32)).max(axis=0)

    def match(self, query: str | np.ndarray) -> QueryClasses:
        """The classes a query (text, or its :func:`sentence_vectors` row) names."""
        vector = sentence_vectors([query])[0] if isinstance(query, str) else query
        sims = self.similarities(vector).astype(np.float64)
        order = np.argsort(-sims, kind="stable")[: self.max_classes]
        best = sims[order[0]]
        relevance = np.exp((sims[order] - best) / self.temperature)
        keep = (sims[order] >= self.min_similarity) & (relevance >= self.min_relevance)
        return QueryClasses(order[keep], sims[order][keep], relevance[keep])

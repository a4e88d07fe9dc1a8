"""Content model: item text, its embeddings (all-MiniLM-L6-v2, TF-IDF fallback), similarity.

``embed_items`` turns each movie's text (title, genres, director, writer, cast, and the
overview and keywords when TMDb supplied them) into an L2-normalised vector;
``similarity_table`` keeps the top-N neighbours of every movie; ``user_profiles`` are
time-decayed, rating-weighted means of the vectors of what each user rated.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import scipy.sparse as sp

from ml import artifacts
from ml.data.titles import display_title

MINILM = "all-MiniLM-L6-v2"
TFIDF = "tfidf-lsa"
SECONDS_PER_DAY = 86_400.0


def _names(values, limit: int) -> str:
    return ", ".join(list(values or [])[:limit])


def item_texts(metadata: pl.DataFrame, *, max_cast: int = 8) -> list[str]:
    """One text per row of ``metadata`` (``ml.content.metadata.METADATA_SCHEMA`` columns)."""
    texts = []
    for row in metadata.iter_rows(named=True):
        year = f" ({row['year']})" if row.get("year") else ""
        parts = [f"{display_title(row['title'])}{year}."]
        if row.get("genres"):
            parts.append(f"Genres: {_names(row['genres'], 10)}.")
        if row.get("director"):
            parts.append(f"Directed by {_names(row['director'], 3)}.")
        if row.get("writer"):
            parts.append(f"Written by {_names(row['writer'], 3)}.")
        if row.get("cast"):
            parts.append(f"Starring {_names(row['cast'], max_cast)}.")
        if row.get("overview"):
            parts.append(row["overview"])
        if row.get("keywords"):
            parts.append(f"Keywords: {_names(row['keywords'], 20)}.")
        texts.append(" ".join(parts))
    return texts


def _normalise(v: np.ndarray) -> np.ndarray:
    return (v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def minilm_available() -> bool:
    try:
        from ml.text.minilm import model_path

        return model_path().exists()
    except ImportError:
        return False


@dataclass
class ContentEmbeddings:
    """L2-normalised item vectors, shape (n_items, d), and what it takes to encode a query.

    ``backend`` is ``all-MiniLM-L6-v2`` or ``tfidf-lsa``; for the latter, ``vocabulary``,
    ``idf`` and ``components`` (d, n_terms) reproduce the projection for free text.
    """

    item_ids: np.ndarray
    vectors: np.ndarray
    backend: str
    vocabulary: list[str] = field(default_factory=list)
    idf: np.ndarray | None = None
    components: np.ndarray | None = None

    @property
    def version(self) -> str:
        """A short content hash: the same texts and backend give the same version."""
        digest = hashlib.sha256(self.vectors.round(5).tobytes() + self.backend.encode())
        return f"{self.backend}-{digest.hexdigest()[:10]}"

    def aligned(self, item_ids: np.ndarray) -> np.ndarray:
        """Vectors in the order of ``item_ids``; zeros for an item without content."""
        pos = np.searchsorted(self.item_ids, item_ids)
        pos = np.clip(pos, 0, len(self.item_ids) - 1)
        found = self.item_ids[pos] == item_ids
        out = np.zeros((len(item_ids), self.vectors.shape[1]), dtype=np.float32)
        out[found] = self.vectors[pos[found]]
        return out

    def encode(self, texts: list[str], *, cache_dir: Path | None = None) -> np.ndarray:
        """Query vectors in the same space as ``vectors``, shape (len(texts), d)."""
        if self.backend == MINILM:
            return _minilm(texts, cache_dir=cache_dir)
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(vocabulary=self.vocabulary, **_TFIDF_ARGS)
        vectorizer.idf_ = self.idf
        return _normalise(vectorizer.transform(texts) @ self.components.T)

    def save(self, path: Path) -> None:
        arrays = {"item_ids": self.item_ids, "vectors": self.vectors}
        if self.backend == TFIDF:
            arrays.update(idf=self.idf, components=self.components)
        info = {"backend": self.backend, "version": self.version, "vocabulary": self.vocabulary}
        artifacts.save(path, arrays, info)

    @classmethod
    def load(cls, path: Path) -> ContentEmbeddings:
        arrays, info = artifacts.load(path)
        return cls(
            item_ids=arrays["item_ids"],
            vectors=arrays["vectors"],
            backend=info["backend"],
            vocabulary=info["vocabulary"],
            idf=arrays.get("idf"),
            components=arrays.get("components"),
        )


_TFIDF_ARGS = {"sublinear_tf": True, "ngram_range": (1, 2), "min_df": 1, "dtype": np.float32}


def _minilm(texts: list[str], *, cache_dir: Path | None = None) -> np.ndarray:
    from ml.text.minilm import EMBED_DIM, embed_texts

    # embed_texts returns mean ⊕ max over 256-token windows; the mean half is the
    # sentence-transformers embedding for a text of one window.
    return _normalise(embed_texts(texts, cache_dir=cache_dir)[:, :EMBED_DIM])


def embed_items(
    item_ids: np.ndarray,
    texts: list[str],
    *,
    backend: str = "auto",
    dim: int = 128,
    seed: int = 42,
    cache_dir: Path | None = None,
    threads: int = 2,
) -> ContentEmbeddings:
    """Embed ``texts`` (one per item id). ``auto``: MiniLM when its package is installed."""
    order = np.argsort(item_ids, kind="stable")
    item_ids = np.asarray(item_ids, dtype=np.int64)[order]
    texts = [texts[i] for i in order]
    if backend == "auto":
        backend = MINILM if minilm_available() else TFIDF
    if backend == MINILM:
        import torch

        torch.set_num_threads(threads)
        return ContentEmbeddings(item_ids, _minilm(texts, cache_dir=cache_dir), MINILM)
    if backend != TFIDF:
        raise ValueError(f"unknown content backend {backend!r}; use auto, {MINILM} or {TFIDF}")
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(**_TFIDF_ARGS)
    tfidf = vectorizer.fit_transform(texts)
    dim = max(1, min(dim, tfidf.shape[1] - 1, len(texts) - 1))
    svd = TruncatedSVD(n_components=dim, random_state=seed).fit(tfidf)
    vocabulary = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
    return ContentEmbeddings(
        item_ids,
        _normalise(tfidf @ svd.components_.T),
        TFIDF,
        vocabulary=vocabulary,
        idf=vectorizer.idf_.astype(np.float32),
        components=svd.components_.astype(np.float32),
    )


def similarity_table(
    emb: ContentEmbeddings, *, top_n: int = 20, batch_size: int = 1024
) -> pl.DataFrame:
    """Top ``top_n`` content neighbours of every item (itself excluded).

    Returns
    -------
    pl.DataFrame
        item_id, rank (1-based), neighbour_id, similarity (cosine), content_version;
        ``n_items * min(top_n, n_items - 1)`` rows.
    """
    n = len(emb.item_ids)
    top_n = min(top_n, n - 1)
    items, neighbours, sims = [], [], []
    for start in range(0, n, batch_size):
        rows = np.arange(start, min(start + batch_size, n))
        block = emb.vectors[rows] @ emb.vectors.T
        block[np.arange(len(rows)), rows] = -np.inf
        part = np.argpartition(-block, top_n - 1, axis=1)[:, :top_n]
        vals = np.take_along_axis(block, part, axis=1)
        order = np.lexsort((part, -vals), axis=1)
        part = np.take_along_axis(part, order, axis=1)
        items.append(np.repeat(emb.item_ids[rows], top_n))
        neighbours.append(emb.item_ids[part].ravel())
        sims.append(np.take_along_axis(vals, order, axis=1).ravel())
    return pl.DataFrame(
        {
            "item_id": np.concatenate(items),
            "rank": np.tile(np.arange(1, top_n + 1, dtype=np.int32), n),
            "neighbour_id": np.concatenate(neighbours),
            "similarity": np.concatenate(sims).astype(np.float32),
        }
    ).with_columns(pl.lit(emb.version).alias("content_version"))


def decay_matrix(
    ratings: pl.DataFrame,
    user_ids: np.ndarray,
    item_ids: np.ndarray,
    *,
    half_life_days: float | None = 365.0,
    max_rating: float = 5.0,
) -> sp.csr_matrix:
    """Profile weights, shape (len(user_ids), len(item_ids)): rating/max × time decay.

    The decay is ``0.5 ** (age / half_life)`` with age measured from the user's own latest
    rating, so a taste that drifted counts its recent side more; None disables it.
    """
    df = ratings.filter(
        pl.col("user_id").is_in(pl.Series(user_ids).implode())
        & pl.col("item_id").is_in(pl.Series(item_ids).implode())
    )
    weight = pl.col("rating") / max_rating
    if half_life_days:
        age = (pl.col("timestamp").max().over("user_id") - pl.col("timestamp")) / SECONDS_PER_DAY
        weight = weight * (0.5 ** (age / half_life_days))
    df = df.with_columns(weight.alias("w"))
    rows = np.searchsorted(user_ids, df["user_id"].to_numpy())
    cols = np.searchsorted(item_ids, df["item_id"].to_numpy())
    shape = (len(user_ids), len(item_ids))
    return sp.csr_matrix((df["w"].to_numpy().astype(np.float32), (rows, cols)), shape=shape)


def user_profiles(weights: sp.csr_matrix, item_vectors: np.ndarray) -> np.ndarray:
    """Weighted mean content vector per user, L2-normalised: shape (n_users, d)."""
    return _normalise(np.asarray(weights @ item_vectors))

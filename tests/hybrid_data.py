"""Real MovieLens users for the hybrid gate's tests, and side inputs that are pure noise.

The gate is tested on two real situations: a strong single model (EASE) beside features that
carry nothing (random content vectors, random review sentiment), which the hybrid must lose
to; and a weak single model (popularity) beside an informative extra model, which it must beat.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from ml.content.embeddings import ContentEmbeddings
from ml.data.readers import MovieLensData, load_movielens


def gate_sample(
    movielens_frame: pl.DataFrame, folder: Path, *, users: int = 120, min_ratings: int = 8
) -> MovieLensData:
    """``users`` real ml-latest-small users (seeded) and the movies at least ``min_ratings``
    of them rated, written as a release folder and read back through the reader."""
    frame = movielens_frame.filter(pl.col("title").is_not_null() & pl.col("year").is_not_null())
    chosen = frame["userId"].unique().sort().sample(users, seed=3)
    frame = frame.filter(pl.col("userId").is_in(chosen.implode()))
    kept = frame.group_by("movieId").len().filter(pl.col("len") >= min_ratings)["movieId"]
    frame = frame.filter(pl.col("movieId").is_in(kept.implode()))
    folder.mkdir(parents=True, exist_ok=True)
    frame.select("userId", "movieId", "rating", "timestamp").write_csv(folder / "ratings.csv")
    title = pl.format("{} ({})", pl.col("title"), pl.col("year").cast(pl.Int32))
    movies = frame.select("movieId", title.alias("title"), "genres").unique("movieId")
    movies.sort("movieId").write_csv(folder / "movies.csv")
    return load_movielens(folder)


def noise_embeddings(item_ids: np.ndarray, seed: int = 0) -> ContentEmbeddings:
    """Random unit vectors: a content feature that says nothing about taste."""
    v = np.random.default_rng(seed).standard_normal((len(item_ids), 32)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return ContentEmbeddings(np.sort(np.asarray(item_ids, dtype=np.int64)), v, "random")


def noise_sentiment(item_ids: np.ndarray, seed: int = 1) -> pl.DataFrame:
    """A movie_sentiment table whose sentiment feature is random."""
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "movie_id": [str(i) for i in item_ids],
            "n_reviews": np.full(len(item_ids), 10),
            "share_positive": np.full(len(item_ids), 0.5),
            "sentiment_feature": rng.standard_normal(len(item_ids)),
        }
    )

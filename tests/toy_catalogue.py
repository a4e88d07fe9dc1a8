"""Six movies with known metadata and hand-made embeddings, shared by the content, hybrid
and quality unit tests."""

from __future__ import annotations

import numpy as np
import polars as pl

from ml.content.embeddings import ContentEmbeddings

MOVIES = pl.DataFrame(
    {
        "item_id": [1, 2, 3, 4, 5, 6],
        "title": [
            "Matrix, The",
            "Alien",
            "Aliens",
            "Crouching Tiger, Hidden Dragon (Wo hu cang long)",
            "Gladiator",
            "Zzqx Unknown Film",
        ],
        "year": [1999, 1979, 1986, 2001, 2000, 2001],
        "genres": [
            ["Action", "Sci-Fi"],
            ["Horror", "Sci-Fi"],
            ["Action", "Horror", "Sci-Fi"],
            ["Action", "Drama"],
            ["Action", "Drama"],
            ["Comedy"],
        ],
    },
    schema_overrides={"year": pl.Int32},
)


def toy_embeddings() -> ContentEmbeddings:
    """Unit vectors for MOVIES: 2 and 3 (Alien, Aliens) are nearest neighbours."""
    vectors = np.array(
        [[1, 0, 0], [0, 1, 0.2], [0, 1, 0.3], [0.7, 0, 0.7], [0.6, 0.1, 0.8], [0, 0, 1]],
        dtype=np.float32,
    )
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return ContentEmbeddings(np.arange(1, 7), vectors, "test")


#: User 7 liked Alien (5★) and Gladiator (4★), disliked film 6 (1★).
TOY_RATINGS = pl.DataFrame(
    {"user_id": [7, 7, 7], "item_id": [2, 5, 6], "rating": [5.0, 4.0, 1.0], "timestamp": [1, 2, 3]}
)
TOY_RECS = pl.DataFrame({"user_id": [7, 7], "item_id": [3, 1], "rank": [1, 2]})


def toy_explained():
    """(explained lists, ratings, metadata) for user 7 of the toy catalogue."""
    from ml.content.metadata import join_omdb
    from ml.hybrid.explain import explain

    meta = join_omdb(MOVIES).metadata
    return explain(TOY_RECS, TOY_RATINGS, meta, toy_embeddings()), TOY_RATINGS, meta

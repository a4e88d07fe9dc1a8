"""Content embeddings: the similarity table, the TF-IDF backend, the decay of old ratings."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from ml.content.embeddings import decay_matrix, embed_items, similarity_table
from tests.toy_catalogue import toy_embeddings


def test_similarity_table_excludes_self_and_orders():
    table = similarity_table(toy_embeddings(), top_n=2)
    assert table.height == 12
    assert (table["item_id"] != table["neighbour_id"]).all()
    row = table.filter(pl.col("item_id") == 2)
    assert row["neighbour_id"].to_list()[0] == 3
    assert row["similarity"].is_sorted(descending=True)


def test_tfidf_backend_encodes_queries_in_item_space():
    texts = ["space robots laser", "romantic comedy wedding", "space station alien"]
    e = embed_items(np.array([10, 11, 12]), texts, backend="tfidf-lsa", dim=2)
    q = e.encode(["alien space"])[0]
    assert int(np.argmax(e.vectors @ q)) in (0, 2)
    assert np.allclose(np.linalg.norm(e.vectors, axis=1), 1, atol=1e-5)


def test_decay_halves_weight_per_half_life():
    day = 86_400
    ratings = pl.DataFrame(
        {"user_id": [1, 1], "item_id": [1, 2], "rating": [5.0, 5.0], "timestamp": [0, 10 * day]}
    )
    w = decay_matrix(ratings, np.array([1]), np.array([1, 2]), half_life_days=10).toarray()
    assert w[0, 1] == pytest.approx(1.0) and w[0, 0] == pytest.approx(0.5)

"""Explanations in batches: the same liked movie and affinity as explaining user by user,
for factor models (cosine of unit vectors), dense and sparse item-item models, on real
ml-latest-small ratings."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from ml.recsys.interactions import build_interactions
from ml.recsys.models import build
from ml.recsys.recommend import explain, liked_items, recommend_with_reasons

K = 10


def _one_by_one(model, x, rows, items, threshold):
    """The definition: for each user, argmax over their liked items of item_affinity."""
    because = np.full(items.shape, -1, dtype=np.int64)
    sim_out = np.full(items.shape, np.nan, dtype=np.float32)
    for u, row in enumerate(rows):
        start, end = x.indptr[row], x.indptr[row + 1]
        liked = liked_items(x.indices[start:end], x.data[start:end], threshold=threshold)
        recs = items[u][items[u] >= 0]
        if len(liked) == 0 or len(recs) == 0:
            continue
        sim = model.item_affinity(recs, liked)
        best = sim.argmax(axis=1)
        because[u, : len(recs)] = liked[best]
        sim_out[u, : len(recs)] = sim[np.arange(len(recs)), best]
    return because, sim_out


@pytest.fixture(scope="module")
def interactions(movielens_frame):
    users = movielens_frame["userId"].unique().sort().sample(120, seed=5)
    frame = movielens_frame.filter(pl.col("userId").is_in(users.implode())).select(
        pl.col("userId").alias("user_id"), pl.col("movieId").alias("item_id"), "rating"
    )
    return build_interactions(frame)


MODELS = {
    "als": {"factors": 16, "iterations": 5},
    "ease": {"l2": 100.0},
    "itemknn": {"neighbours": 20},
    "rp3beta": {},
}


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("cells", [1, 5_000, 1 << 22])
def test_batches_explain_as_one_by_one(interactions, name: str, cells: int) -> None:
    x = interactions.matrix
    model = build(name, MODELS[name], seed=0).fit(x)
    # Every other user, backwards: buckets pass rows in any order.
    rows = np.arange(x.shape[0])[::-2]
    items, _ = model.recommend(x, K, rows=rows)
    items[3, 7:] = -1  # a short list
    # 4.5 stars: some users liked nothing that high and fall back to their best-rated.
    expected, expected_sim = _one_by_one(model, x, rows, items, 4.5)
    because, sim = explain(model, x, rows, items, liked_threshold=4.5, cells=cells)
    assert (expected >= 0).sum() > 0.9 * items.size
    np.testing.assert_array_equal(because, expected)
    np.testing.assert_allclose(sim, expected_sim, rtol=1e-5, atol=1e-6)
    assert (because[3, 7:] == -1).all() and np.isnan(sim[3, 7:]).all()


def test_users_without_ratings_and_unexplainable_models(interactions) -> None:
    x = interactions.matrix.copy().tolil()
    x[0, :] = 0
    x = x.tocsr()
    x.eliminate_zeros()
    model = build("als", MODELS["als"], seed=0).fit(x)
    items, _ = model.recommend(x, K)
    because, sim = explain(model, x, np.arange(x.shape[0]), items, liked_threshold=4.0)
    assert (because[0] == -1).all() and np.isnan(sim[0]).all()
    assert (because[1:] >= 0).all()
    popular = build("popularity", {}, seed=0).fit(x)
    recs = recommend_with_reasons(popular, interactions, k=K)
    assert recs["because_item_id"].null_count() == recs.height

"""ALS and the shared top-k: known answers on synthetic data, determinism, persistence."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import scipy.sparse as sp

from ml.recsys.interactions import build_interactions
from ml.recsys.models.als import AlsModel, AlsParams, train_als
from ml.recsys.models.base import top_k
from ml.recsys.recommend import recommend_with_reasons

N = 50


def checkerboard(n: int = N) -> sp.csr_matrix:
    """User i rated every item of its own parity except item i (the held-out diagonal)."""
    rows, cols = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    mask = ((rows + cols) % 2 == 0) & (rows != cols)
    return sp.csr_matrix((np.full(mask.sum(), 4.0, dtype=np.float32), (rows[mask], cols[mask])))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_checkerboard_top_item_is_the_held_out_diagonal(seed: int) -> None:
    x = checkerboard()
    # The checkerboard has rank 2: two factors recover it exactly whatever the seed.
    model = train_als(x, AlsParams(factors=2, regularization=0.01, iterations=15), seed=seed)
    items, scores = model.recommend(x, k=5)
    assert np.array_equal(items[:, 0], np.arange(N))
    assert np.all(np.diff(scores, axis=1) <= 0), "scores must be sorted best first"


def test_seen_items_are_never_recommended() -> None:
    x = checkerboard()
    model = train_als(x, AlsParams(factors=8, iterations=5), seed=0)
    items, _ = model.recommend(x, k=N)
    for u in range(N):
        seen = set(x[u].indices)
        listed = set(items[u][items[u] >= 0])
        assert not seen & listed
        # Everything unseen is listed once k reaches the catalogue size; the rest is padding.
        assert listed == set(range(N)) - seen


def test_same_seed_same_model_other_seed_other_model() -> None:
    x = checkerboard()
    a = train_als(x, AlsParams(factors=8, iterations=5), seed=1)
    b = train_als(x, AlsParams(factors=8, iterations=5), seed=1)
    c = train_als(x, AlsParams(factors=8, iterations=5), seed=2)
    assert np.array_equal(a.item_factors, b.item_factors)
    assert np.array_equal(a.user_factors, b.user_factors)
    assert not np.array_equal(a.item_factors, c.item_factors)
    assert a.item_factors.shape == (N, 8) and a.user_factors.shape == (N, 8)
    assert a.device == "cpu"


def test_save_and_load_round_trip(tmp_path) -> None:
    x = checkerboard()
    model = train_als(x, AlsParams(factors=4, iterations=3), seed=0)
    model.metrics = {"ndcg@10": 0.5}
    model.save(tmp_path / "m")
    loaded = AlsModel.load(tmp_path / "m")
    assert np.array_equal(loaded.item_factors, model.item_factors)
    assert loaded.params == model.params and loaded.metrics == {"ndcg@10": 0.5}


def test_recommend_rejects_a_matrix_of_another_shape() -> None:
    model = train_als(checkerboard(), AlsParams(factors=4, iterations=2), seed=0)
    with pytest.raises(ValueError, match="does not match"):
        model.recommend(checkerboard(N + 2), k=3)


def test_top_k_pads_when_too_few_unseen_items_and_breaks_ties_by_index() -> None:
    scores = np.array([[1.0, 1.0, 0.5, 2.0]], dtype=np.float32)
    seen = sp.csr_matrix(np.array([[0, 0, 1, 1]]))
    items, item_scores = top_k(scores.copy(), seen, k=3)
    assert items.tolist() == [[0, 1, -1]]
    assert np.isneginf(item_scores[0, 2])


def test_reasons_cite_the_nearest_liked_item() -> None:
    ratings = pl.DataFrame(
        {
            "user_id": [1, 1, 1, 2, 2, 3, 3],
            "item_id": [10, 20, 30, 10, 40, 20, 30],
            "rating": [5.0, 4.0, 1.0, 4.5, 5.0, 2.0, 3.0],
            "timestamp": [1, 2, 3, 4, 5, 6, 7],
        }
    )
    x = build_interactions(ratings)
    model = train_als(x.matrix, AlsParams(factors=3, iterations=5), seed=0)
    recs = recommend_with_reasons(model, x, k=2, liked_threshold=4.0)
    for user, item, because in recs.select("user_id", "item_id", "because_item_id").iter_rows():
        mine = ratings.filter(pl.col("user_id") == user)
        liked = mine.filter(pl.col("rating") >= 4.0)["item_id"].to_list()
        # User 3 liked nothing at 4+: their three best-rated movies stand in.
        expected_pool = liked or mine.sort("rating", descending=True)["item_id"][:3].to_list()
        assert because in expected_pool
        candidates = x.item_index(np.array(expected_pool))
        sims = model.item_similarity(x.item_index(np.array([item])), candidates)[0]
        assert because == expected_pool[int(sims.argmax())]


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("Matrix, The", "The Matrix"),
        ("Dracula, The (Drakula)", "The Dracula"),
        ("Few Good Men, A", "A Few Good Men"),
        ("Theory of Everything", "Theory of Everything"),
        ("Good, the Bad and the Ugly, The", "The Good, the Bad and the Ugly"),
    ],
)
def test_display_title(raw: str, shown: str) -> None:
    from ml.recsys.recommend import display_titles

    out = pl.DataFrame({"t": [raw]}).select(display_titles(pl.col("t")))
    assert out.item() == shown


@pytest.mark.parametrize("name", ["als", "bpr"])
def test_implicit_models_stop_at_the_deadline_after_one_iteration(name: str) -> None:
    import time

    from ml.recsys.models import build

    x = checkerboard()
    params = {"factors": 4}
    calls = []
    model = build(name, {**params, "iterations": 500}, seed=0)
    original = model.out_of_time
    model.out_of_time = lambda: calls.append(1) or original()
    model.fit(x, deadline=time.monotonic() - 1)
    # One iteration ran (the callback comes after it), then the fit stopped: a usable model.
    assert model.stopped_at_deadline and len(calls) == 1
    assert np.isfinite(model.item_factors).all() and model.item_factors.any()
    items, _ = model.recommend(x, 2)
    assert (items >= 0).all()
    untimed = build(name, {**params, "iterations": 3}, seed=0).fit(x)
    assert not untimed.stopped_at_deadline

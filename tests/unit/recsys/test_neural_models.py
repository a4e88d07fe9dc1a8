"""What only the torch models do: time order (SASRec), genre nodes (LightGCN), early stopping."""

from __future__ import annotations

import numpy as np
import polars as pl
import scipy.sparse as sp

from ml.recsys.interactions import build_interactions
from ml.recsys.models import build
from ml.recsys.models.graph import normalized_adjacency
from ml.recsys.models.neural import holdout_one, target_ndcg
from ml.recsys.models.sequential import user_sequences

N_ITEMS, WALK = 20, 8


def walks(n_users: int = 60, seed: int = 0) -> tuple[pl.DataFrame, np.ndarray]:
    """User u rates items s, s+1, ..., s+7 (mod 20) one minute apart; its next item is s+8."""
    starts = np.random.default_rng(seed).integers(N_ITEMS, size=n_users)
    rows = [
        (u + 1, int((s + t) % N_ITEMS) + 1, 4.0, 1_000_000 + 60 * (u * WALK + t))
        for u, s in enumerate(starts)
        for t in range(WALK)
    ]
    frame = pl.DataFrame(rows, schema=["user_id", "item_id", "rating", "timestamp"], orient="row")
    return frame, (starts + WALK) % N_ITEMS


def test_sequences_follow_the_rating_sessions_in_time() -> None:
    frame, starts = walks(5)
    data = build_interactions(frame.sample(fraction=1.0, shuffle=True, seed=1))
    seqs = user_sequences(data.matrix, data)
    for u, seq in enumerate(seqs):
        assert seq.tolist() == [int((starts[u] - WALK + t) % N_ITEMS) for t in range(WALK)]


def test_sasrec_predicts_the_next_step_of_a_walk_that_order_free_models_cannot() -> None:
    frame, nxt = walks()
    data = build_interactions(frame)
    params = {"dim": 16, "max_len": 10, "blocks": 1, "dropout": 0.0, "learning_rate": 0.01}
    model = build("sasrec", {**params, "epochs": 60, "patience": 60}, seed=0)
    items, _ = model.fit_interactions(data).recommend(data.matrix, k=1)
    assert np.mean(items[:, 0] == nxt) >= 0.9
    ease, _ = build("ease", {"l2": 1.0}).fit_interactions(data).recommend(data.matrix, k=1)
    assert np.mean(ease[:, 0] == nxt) < 0.7, "the walk is symmetric without its order"


def test_genre_nodes_extend_the_graph_and_every_edge_is_normalised() -> None:
    x = sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 1]], dtype=np.float32))
    genres = sp.csr_matrix(np.array([[1, 0], [0.5, 0.5], [0, 1]], dtype=np.float32))
    plain, wide = normalized_adjacency(x), normalized_adjacency(x, genres)
    assert plain.shape == (5, 5) and wide.shape == (7, 7)
    dense = wide.toarray()
    assert np.allclose(dense, dense.T)
    # user 0 (degree 2) - item 1 (degree 2 users + 2 genres = 4): 1 / sqrt(2 * 4).
    assert np.isclose(dense[0, 2 + 1], 1 / np.sqrt(8))


def test_the_validation_carve_holds_out_one_seen_item_per_user() -> None:
    x = sp.random(30, 40, density=0.3, format="csr", random_state=0, dtype=np.float32)
    x.data[:] = 1.0
    train, targets = holdout_one(x, seed=0)
    counts = np.diff(x.indptr)
    assert np.array_equal(np.diff(train.indptr), counts - (counts >= 3))
    has = targets >= 0
    assert all(x[u, targets[u]] == 1 and train[u, targets[u]] == 0 for u in np.flatnonzero(has))
    perfect = np.zeros((has.sum(), 40), dtype=np.float32)
    perfect[np.arange(has.sum()), targets[has]] = 1.0
    assert target_ndcg(perfect, train[has], targets[has]) == 1.0

"""What only the torch models do: time order (SASRec), genre nodes (LightGCN), early stopping."""

from __future__ import annotations

import numpy as np
import polars as pl
import scipy.sparse as sp

from ml.recsys.interactions import attribute_features, build_interactions
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


def test_attribute_features_link_items_through_shared_people() -> None:
    movies = pl.DataFrame(
        {
            "item_id": [10, 20, 30, 40],
            "director": [["Nolan"], ["Nolan"], ["Bigelow"], None],
            "cast": [["Caine", "Freeman"], ["Caine"], ["Nolan"], ["Solo"]],
        }
    )
    # 50 is not in the movie table; "Nolan" directs 10 and 20 and acts in 30: one person.
    people = attribute_features(movies, np.array([10, 20, 30, 40, 50]))
    assert people.shape == (5, 2)  # Caine and Nolan; Freeman, Bigelow and Solo link nothing
    assert people.toarray().tolist() == [[1, 1], [1, 1], [0, 1], [0, 0], [0, 0]]
    ratings = pl.DataFrame({"user_id": [1, 1], "item_id": [10, 20], "rating": [4.0, 5.0]})
    data = build_interactions(ratings, movies=movies)
    assert data.item_attributes.shape == (2, 2)
    assert (
        build_interactions(ratings, movies=movies.drop("director", "cast")).item_attributes is None
    )


def test_attribute_nodes_reach_items_nobody_rated_through_their_director() -> None:
    """Items 0-9 are rated; their twins 10-19, rated by nobody, share only a director with
    them. Through director nodes LightGCN ranks the twins of a user's films above the
    others; without them it cannot tell the twins apart."""
    rng = np.random.default_rng(0)
    n_users, groups = 60, [range(0, 5), range(5, 10)]
    rows = []
    for user in range(n_users):
        for item in groups[user % 2]:
            if rng.random() < 0.8:
                rows.append((user + 1, item + 1, 5.0))
    ratings = pl.DataFrame(rows, schema=["user_id", "item_id", "rating"], orient="row")
    movies = pl.DataFrame(
        {
            "item_id": list(range(1, 21)),
            "genres": [[]] * 20,
            "director": [[f"director {i % 10}"] for i in range(20)],
        }
    )
    data = build_interactions(ratings, item_ids=np.arange(1, 21), movies=movies)
    params = {"dim": 8, "learning_rate": 0.05, "batch_size": 64, "epochs": 60, "patience": 60}

    def twin_auc(attribute_nodes: bool) -> tuple[float, object]:
        model = build("lightgcn", {**params, "attribute_nodes": attribute_nodes}, seed=0)
        model.fit_interactions(data)
        scores = model.user_factors @ model.item_factors[10:].T  # the twins' scores
        own = np.array([[(t in groups[u % 2]) for t in range(10)] for u in range(n_users)])
        wins = [np.mean(s[o][:, None] > s[~o][None, :]) for s, o in zip(scores, own, strict=True)]
        return float(np.mean(wins)), model

    with_people, model = twin_auc(True)
    without, plain = twin_auc(False)
    assert model.attributes_used == 10 and plain.attributes_used == 0
    assert with_people > 0.9, with_people
    assert without < 0.75, without  # by chance alone: 0.33 to 0.59 over seeds 0-3

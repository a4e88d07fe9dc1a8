"""Rating sessions: how they are built from timestamps and what they teach EASE."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from ml.recsys.interactions import Interactions, build_interactions
from ml.recsys.models import Recommender, build

#: The linear model alone: no popularity penalty, no ALS blend.
PURE = {"popularity_penalty": 0.0, "als_weight": 0.0}


def frame(rows) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "user_id": pl.Int64,
            "item_id": pl.Int64,
            "rating": pl.Float64,
            "timestamp": pl.Int64,
        },
        orient="row",
    )


def test_sessions_group_one_users_ratings_of_the_same_second(tmp_path) -> None:
    data = build_interactions(
        frame(
            [
                (1, 10, 4.0, 100),
                (1, 11, 2.0, 100),
                (1, 12, 5.0, 160),
                (2, 10, 3.0, 100),  # same second, other user: another session
                (2, 11, 1.0, None),  # no timestamp: a session of its own
                (2, 12, 4.0, None),
            ]
        )
    )
    s = data.sessions.toarray()
    assert s.shape == (5, 3)
    assert data.session_users.tolist() == sorted(data.session_users.tolist())
    assert np.bincount(data.session_users).tolist() == [2, 3]
    assert sorted(map(tuple, s.tolist())) == sorted(
        [(4.0, 2.0, 0.0), (0.0, 0.0, 5.0), (3.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 4.0)]
    )
    assert s.sum() == data.matrix.sum()
    data.save(tmp_path / "x")
    back = Interactions.load(tmp_path / "x")
    assert (back.sessions != data.sessions).nnz == 0
    assert back.session_users.tolist() == data.session_users.tolist()


def test_no_timestamps_no_sessions() -> None:
    data = build_interactions(pl.DataFrame({"user_id": [1], "item_id": [2], "rating": [3.0]}))
    assert data.sessions is None


def pages(n_users: int = 60, seed: int = 0) -> pl.DataFrame:
    """Every user rates items 0-1 on one page and 2-3 on another; item 4 is rated with
    either page at random, so only the page tells which items belong together."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        with_first = rng.random() < 0.5
        rows += [(u, 0, 4.0, 1), (u, 1, 4.0, 1), (u, 2, 4.0, 2), (u, 3, 4.0, 2)]
        rows.append((u, 4, 4.0, 1 if with_first else 2))
        rows += [(u, 5 + (u % 3), 4.0, 3)]
    return frame(rows)


def test_session_rows_tie_items_of_one_page_together() -> None:
    data = build_interactions(pages())
    off = {"l2": 5.0, "genre_weight": 0.0, "adjacent_weight": 0.0, **PURE}
    plain = build("ease_sessions", {**off, "session_weight": 0.0}).fit_interactions(data)
    paged = build("ease_sessions", {**off, "session_weight": 1.0}).fit_interactions(data)
    assert paged.sessions_used
    # Items 0 and 1 always share a page, 0 and 2 never: only the session rows tell them apart.
    assert plain.weights[0, 1] == pytest.approx(plain.weights[0, 2], rel=1e-4)
    assert paged.weights[0, 1] > paged.weights[0, 2] + 0.01


def test_genre_columns_speak_for_items_of_the_users_genres() -> None:
    """Items 0-5 are Drama, 6-11 Comedy. Drama fans rate 0-2, others rate 3-5; comedy fans
    likewise 6-8 and 9-11. No rating links items 0-2 to 3-5, so only the genre can tell a
    fan of 0-2 that 3 (Drama) suits them better than 9 (Comedy)."""
    rows = []
    for u in range(80):
        base = [0, 3, 6, 9][u % 4]
        rows += [(u, base + k, 4.0, 10 * u + k) for k in range(3)]
    movies = pl.DataFrame(
        {"item_id": list(range(12)), "genres": [["Drama"]] * 6 + [["Comedy"]] * 6}
    )
    data = build_interactions(frame(rows), movies=movies)
    assert data.item_features.shape == (12, 2)
    assert np.allclose(np.asarray(data.item_features.sum(axis=1)).ravel(), 1.0)
    fan = data.user_index(np.array([0]))
    params = {"l2": 5.0, "genre_weight": 0.5, **PURE}
    with_genres = build("ease_sessions", params).fit_interactions(data)
    assert with_genres.genres_used
    s = with_genres.score(data.matrix, fan)[0]
    assert s[3] > s[9] + 1e-3, "an unlinked Drama item must beat an unlinked Comedy item"
    blind = build("ease_sessions", {**params, "genre_weight": 0.0}).fit_interactions(data)
    s = blind.score(data.matrix, fan)[0]
    assert abs(s[3] - s[9]) < 1e-6, "without genres nothing tells them apart"


def test_side_information_used_survives_save_and_load(tmp_path) -> None:
    data = build_interactions(pages())
    model = build("ease_sessions").fit_interactions(data)
    model.save(tmp_path / "m")
    loaded = Recommender.load(tmp_path / "m")
    assert loaded.describe()["sessions_used"] is True
    assert loaded.describe()["genres_used"] is False  # no movie table was given
    assert build("ease_sessions").fit(data.matrix).describe()["sessions_used"] is False


def test_side_information_of_another_matrix_is_refused() -> None:
    data = build_interactions(pages())
    with pytest.raises(ValueError, match="side information is for"):
        build("ease_sessions").fit(data.matrix[:, :3], side=data)


def test_popularity_penalty_divides_each_items_column_by_its_raters() -> None:
    data = build_interactions(pages())
    plain = build("ease_sessions", {**PURE, "popularity_penalty": 0.0}).fit_interactions(data)
    penal = build("ease_sessions", {**PURE, "popularity_penalty": 0.5}).fit_interactions(data)
    raters = np.asarray((data.matrix > 0).sum(axis=0)).ravel()
    assert raters[0] > raters[5]  # item 0 is on every user's first page, 5 on a third's
    np.testing.assert_allclose(penal.weights, plain.weights / np.sqrt(raters)[None, :], rtol=1e-5)


def test_tuning_averages_repeated_validation_splits() -> None:
    from ml.recsys.evaluation import tune

    ratings = pages(n_users=60).drop("timestamp")
    once = tune(ratings, models=["popularity"], repeats=1, seed=3)
    thrice = tune(ratings, models=["popularity"], repeats=3, seed=3)
    again = [tune(ratings, models=["popularity"], seed=s)["ndcg@10"][0] for s in (3, 4, 5)]
    assert thrice["repeats"][0] == 3 and "repeats" not in once.columns
    assert thrice["ndcg@10"][0] == pytest.approx(np.mean(again))


def test_als_blend_mixes_standardised_scores_and_survives_save_and_load(tmp_path) -> None:
    data = build_interactions(pages())
    linear = build("ease_sessions", {"als_weight": 0.0}).fit_interactions(data)
    blend = build("ease_sessions", {"als_weight": 0.3}).fit_interactions(data)
    als = build("als", {"factors": 32}).fit(data.matrix)
    rows = np.arange(data.matrix.shape[0])
    z = [
        (s - s.mean(1, keepdims=True)) / (s.std(1, keepdims=True) + 1e-9)
        for s in (linear.score(data.matrix, rows), als.score(data.matrix, rows))
    ]
    np.testing.assert_allclose(blend.score(data.matrix, rows), 0.7 * z[0] + 0.3 * z[1], atol=1e-4)
    np.testing.assert_array_equal(blend.weights, linear.weights)  # explanations unchanged
    blend.save(tmp_path / "b")
    again = Recommender.load(tmp_path / "b")
    np.testing.assert_allclose(again.score(data.matrix, rows), blend.score(data.matrix, rows))
    with pytest.raises(ValueError, match="ALS part"):
        blend.score(data.matrix[:5], np.arange(5))


@pytest.mark.parametrize("order", ["sorted", "shuffled"])
def test_a_repeated_pair_keeps_its_latest_rating_and_sessions_are_the_same(order) -> None:
    """Ingested ratings have no repeated pair and skip the dedupe; a frame with one still
    keeps the latest rating of it, whatever the row order."""
    frame = pl.DataFrame(
        {
            "user_id": [1, 1, 2, 2, 2],
            "item_id": [5, 6, 5, 7, 5],
            "rating": [4.0, 3.0, 2.0, 5.0, 1.0],
            "timestamp": [100, 100, 200, 300, 250],
        }
    )
    if order == "shuffled":
        frame = frame.sample(fraction=1.0, shuffle=True, seed=1)
    data = build_interactions(frame)
    assert data.matrix.toarray().tolist() == [[4.0, 3.0, 0.0], [1.0, 0.0, 5.0]]
    assert data.sessions.shape[0] == 3  # (1, 100), (2, 250), (2, 300): 200 was replaced
    clean = build_interactions(frame.filter(pl.col("timestamp") != 200))
    assert (clean.matrix != data.matrix).nnz == 0 and (clean.sessions != data.sessions).nnz == 0


def test_an_empty_frame_builds_an_empty_matrix() -> None:
    empty = pl.DataFrame(
        schema={
            "user_id": pl.Int64,
            "item_id": pl.Int64,
            "rating": pl.Float64,
            "timestamp": pl.Int64,
        }
    )
    assert build_interactions(empty).shape == (0, 0)

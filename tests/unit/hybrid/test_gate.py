"""The gate publishes the hybrid only when it beats the single model on validation: real
MovieLens users, the re-ranker learned on one held-out slice and judged on another."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from ml.content.embeddings import embed_items
from ml.hybrid.gate import decide
from ml.hybrid.ranking import HybridParams, ItemSide, context, fit_hybrid, rank
from ml.recsys.interactions import build_interactions
from ml.recsys.models import build
from tests.hybrid_data import gate_sample, noise_embeddings, noise_sentiment


def test_the_decision_names_the_winner_and_the_margin() -> None:
    single = np.array([0.30, 0.20, 0.40, 0.10])
    lost = decide(single - 0.0031, single, single_model="ease_sessions", protocol="stratified")
    assert lost.published == "ease_sessions" and not lost.hybrid_won
    assert lost.margin == pytest.approx(-0.0031)
    assert lost.sentence().startswith("hybrid lost by 0.0031 NDCG@10 on validation")
    assert lost.sentence().endswith("published ease_sessions")
    won = decide(single + 0.01, single, single_model="ease", protocol="temporal")
    assert won.hybrid_won and won.sentence().endswith("published the hybrid")
    # A gain that does not clear the required margin publishes the single model.
    short = decide(single + 0.01, single, single_model="ease", protocol="temporal", min_margin=0.02)
    assert short.published == "ease" and "won by only 0.0100" in short.sentence()


@pytest.fixture(scope="module")
def sample(movielens_frame, tmp_path_factory):
    return gate_sample(movielens_frame, tmp_path_factory.mktemp("gate"))


def test_noise_features_lose_and_the_single_models_list_is_served(sample) -> None:
    ids = sample.movies["item_id"].to_numpy()
    emb, senti = noise_embeddings(ids), noise_sentiment(ids)
    params = HybridParams(extra_models=())
    ranker = fit_hybrid(
        sample.ratings, "ease", {"l2": 100.0}, emb, sample.movies, sentiment=senti, params=params
    )
    v = ranker.validation
    assert ranker.published == "single" and ranker.source == "ease"
    assert v["margin_ndcg@10"] < 0 and v["hybrid_ndcg@10"] < v["base_ndcg@10"], v
    assert v["decision"].startswith(f"hybrid lost by {-v['margin_ndcg@10']:.4f} NDCG@10")
    assert ranker.served_weights()["sentiment"] == 0.0 and ranker.weights()["cf"] != 0.0

    # Served: exactly the single model's own top 10, although the learned weights are kept.
    data = build_interactions(sample.ratings, movies=sample.movies)
    model = build("ease", {"l2": 100.0}).fit_interactions(data)
    ctx = context(model, data, sample.ratings, ItemSide.build(data, emb, sample.movies), ranker)
    served, _ = rank(ranker, ctx, k=10)
    np.testing.assert_array_equal(served, model.recommend(data.matrix, 10)[0])
    hybrid, _ = rank(replace(ranker, published="hybrid"), ctx, k=10)
    assert (hybrid != served).any()


def test_an_informative_extra_model_wins_and_the_hybrid_is_served(sample) -> None:
    texts = [f"{t} {' '.join(g)}" for t, g in sample.movies.select("title", "genres").rows()]
    emb = embed_items(sample.movies["item_id"].to_numpy(), texts, backend="tfidf-lsa", dim=32)
    params = HybridParams(extra_models=("ease",))
    ranker = fit_hybrid(sample.ratings, "popularity", {}, emb, sample.movies, params=params)
    v = ranker.validation
    assert ranker.published == "hybrid" and ranker.source == "hybrid"
    assert v["margin_ndcg@10"] > 2 * v["margin_se"], v
    assert v["decision"].startswith(f"hybrid beat popularity by {v['margin_ndcg@10']:.4f}")
    assert ranker.weights()["cf_ease"] > 0 and ranker.served_weights() == ranker.weights()
    feats = np.random.default_rng(0).standard_normal((2, 5, len(ranker.features)))
    np.testing.assert_array_equal(ranker.score(feats), ranker.hybrid_score(feats))


def test_the_temporal_gate_holds_out_each_users_last_and_second_to_last_rating(sample) -> None:
    texts = [f"{t} {' '.join(g)}" for t, g in sample.movies.select("title", "genres").rows()]
    emb = embed_items(sample.movies["item_id"].to_numpy(), texts, backend="tfidf-lsa", dim=32)
    params = HybridParams(extra_models=("itemknn",))
    ranker = fit_hybrid(
        sample.ratings,
        "ease",
        {"l2": 100.0},
        emb,
        sample.movies,
        params=params,
        protocol="temporal",
    )
    v = ranker.validation
    counts = sample.ratings.group_by("user_id").len()["len"]
    assert v["protocol"] == "temporal" and "(temporal split," in v["decision"]
    # One held-out item per user: the last for the gate, the one before it for the weights.
    assert v["decision_users"] == int((counts > 1).sum())
    assert v["learning_users"] == int((counts > 2).sum())


def test_items_squared_extras_are_left_out_above_the_dense_limit(sample, monkeypatch) -> None:
    from ml.hybrid import ranking
    from ml.recsys import search_spaces

    ids = sample.movies["item_id"].to_numpy()
    n_items = sample.ratings["item_id"].n_unique()
    # The limit the tuning uses, set below this sample's catalogue: a 59k-item catalogue here.
    monkeypatch.setattr(
        ranking, "too_large", lambda m, n: search_spaces.too_large(m, n, n_items - 1)
    )
    params = HybridParams(extra_models=("als", "itemknn", "rp3beta"))
    ranker = fit_hybrid(
        sample.ratings, "popularity", {}, noise_embeddings(ids), sample.movies, params=params
    )
    assert ranker.params.extra_models == ("als",)
    assert ranker.features[-1] == "cf_als" and "cf_itemknn" not in ranker.features
    why = f"{n_items:,} items > max_items {n_items - 1:,} (memory grows with items²)"
    assert ranker.validation["extra_models_left_out"] == f"itemknn: {why}; rp3beta: {why}"


def test_the_weights_are_learned_and_gated_on_a_seeded_user_sample(sample) -> None:
    params = HybridParams(extra_models=())
    texts = [f"{t} {' '.join(g)}" for t, g in sample.movies.select("title", "genres").rows()]
    emb = embed_items(sample.movies["item_id"].to_numpy(), texts, backend="tfidf-lsa", dim=16)
    args = (sample.ratings, "popularity", {}, emb, sample.movies)
    everyone = fit_hybrid(*args, params=params, validation_users=None).validation
    few = fit_hybrid(*args, params=params, validation_users=40).validation
    assert everyone["learning_users"] > 40 and everyone["decision_users"] > 40
    assert few["learning_users"] == few["decision_users"] == 40
    assert few["validation_users_limit"] == 40

"""The hybrid gate through Dagster on real MovieLens users: ``hybrid_ranker`` decides,
``hybrid_recommendations`` holds the winner's lists in the same columns, with the decision and
margin in the metadata, the ``source`` column and the report."""

from __future__ import annotations

import dagster as dg
import numpy as np
import polars as pl
import pytest

from assets import content, features, hybrid
from assets.resources import CineHome, TmdbResource
from ml.content.embeddings import embed_items
from ml.recsys.interactions import build_interactions
from ml.recsys.models import build
from pipelines.io_managers import CineIOManager
from reports.render import _environment
from reports.sections.hybrid import hybrid_section_from_tables
from tests.hybrid_data import gate_sample, noise_embeddings, noise_sentiment

K = 10


@pytest.fixture(scope="module")
def sample(movielens_frame, tmp_path_factory):
    return gate_sample(movielens_frame, tmp_path_factory.mktemp("gate"))


def materialize(sample, tmp_path, *, model: str, params: dict, extra: list[str], noise: bool):
    ids = sample.movies["item_id"].to_numpy()

    @dg.multi_asset(outs={"ratings": dg.AssetOut(), "movies": dg.AssetOut()}, group_name="ingest")
    def ingest():
        yield dg.Output(sample.ratings, output_name="ratings")
        yield dg.Output(sample.movies, output_name="movies")

    @dg.asset(group_name="sentiment")
    def movie_sentiment() -> pl.DataFrame:
        return noise_sentiment(ids) if noise else noise_sentiment(ids).head(0)

    @dg.asset(group_name="content")
    def content_embeddings():
        if noise:
            return noise_embeddings(ids)
        texts = [f"{t} {' '.join(g)}" for t, g in sample.movies.select("title", "genres").rows()]
        return embed_items(ids, texts, backend="tfidf-lsa", dim=32)

    @dg.asset(group_name="models")
    def model_selection() -> dict:
        return {"model": model, "params": params, "validation": {}}

    @dg.asset(group_name="models")
    def recommender_model(user_item_matrix, model_selection):
        return build(model, params).fit_interactions(user_item_matrix)

    home = CineHome(path=str(tmp_path))
    result = dg.materialize(
        [
            ingest,
            movie_sentiment,
            content_embeddings,
            model_selection,
            recommender_model,
            features.user_item_matrix,
            content.movie_metadata,
            hybrid.hybrid_ranker,
            hybrid.hybrid_recommendations,
        ],
        resources={
            "home": home,
            "io_manager": CineIOManager(home=home),
            "tmdb": TmdbResource(home=home, api_key=None),
        },
        run_config={
            "ops": {
                "hybrid_ranker": {"config": {"extra_models": extra}},
                # λ = 1 keeps the relevance order, so the served list is comparable as it is.
                "hybrid_recommendations": {"config": {"k": K, "mmr_lambda": 1.0}},
            }
        },
    )
    assert result.success
    meta = {
        name: result.asset_materializations_for_node(name)[0].metadata
        for name in ("hybrid_ranker", "hybrid_recommendations")
    }
    recs = pl.read_parquet(home.root / "tables" / "hybrid_recommendations.parquet")
    return meta, recs, home


def served(recs: pl.DataFrame) -> np.ndarray:
    return recs.sort("user_id", "rank")["item_id"].to_numpy().reshape(-1, K)


def top_k_of(model: str, params: dict, sample) -> np.ndarray:
    data = build_interactions(sample.ratings, movies=sample.movies)
    items, _ = build(model, params).fit_interactions(data).recommend(data.matrix, K)
    return data.item_ids[items]


def test_noise_features_lose_and_the_single_models_lists_are_published(sample, tmp_path):
    meta, recs, home = materialize(
        sample, tmp_path, model="ease", params={"l2": 100.0}, extra=[], noise=True
    )
    ranker, lists = meta["hybrid_ranker"], meta["hybrid_recommendations"]
    margin = ranker["margin_ndcg@10"].value
    assert ranker["published"].value == "ease" and margin < 0
    decision = ranker["decision"].value
    assert decision.startswith(f"hybrid lost by {-margin:.4f} NDCG@10 on validation")
    assert decision.endswith("published ease")
    assert lists["source"].value == "ease" and lists["decision"].value == decision
    assert recs["source"].unique().to_list() == ["ease"]
    # The table holds EASE's own top K, in the hybrid table's columns.
    np.testing.assert_array_equal(served(recs), top_k_of("ease", {"l2": 100.0}, sample))

    section = hybrid_section_from_tables(home.root / "tables", home.root / "models")
    gate = section["data"]["gate"]
    assert gate["published"] == "ease" and not gate["hybrid_won"]
    html = _environment().get_template(section["html_template"]).render(data=section["data"])
    assert f"hybrid lost by {-margin:.4f} NDCG@10 on validation" in html
    assert "published: ease" in html and "learned, not served" in html


def test_an_informative_extra_model_wins_and_the_hybrid_is_published(sample, tmp_path):
    meta, recs, home = materialize(
        sample, tmp_path, model="popularity", params={}, extra=["ease"], noise=False
    )
    ranker, lists = meta["hybrid_ranker"], meta["hybrid_recommendations"]
    margin = ranker["margin_ndcg@10"].value
    assert ranker["published"].value == "hybrid" and margin > 0
    assert ranker["decision"].value.startswith(f"hybrid beat popularity by {margin:.4f}")
    assert lists["source"].value == "hybrid" and recs["source"].unique().to_list() == ["hybrid"]
    same = (served(recs) == top_k_of("popularity", {}, sample)).all(axis=1)
    assert same.mean() < 0.5, "most lists are re-ranked, not the popularity chart"
    gate = hybrid_section_from_tables(home.root / "tables", home.root / "models")["data"]["gate"]
    assert gate["hybrid_won"] and gate["published"] == "the hybrid"

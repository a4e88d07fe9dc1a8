"""Scoring split into bucket steps gives exactly the lists of one step, and the settings
that shape the lists live in one asset every bucket reads."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import numpy as np
import polars as pl
import pytest

from assets import recommendations
from assets.resources import CineHome
from ml.data.readers import load_movielens
from ml.recsys.interactions import build_interactions
from ml.recsys.models import build
from pipelines.definitions import build_definitions, scoring_buckets
from pipelines.io_managers import CineIOManager


@pytest.fixture(scope="module")
def upstream(sample_release: Path):
    """The real sample, its matrix and a real EASE trained on it, as the pipeline has them."""
    data = load_movielens(sample_release)
    matrix = build_interactions(data.ratings, movies=data.movies)
    model = build("ease", {"l2": 250.0}).fit_interactions(matrix)

    @dg.multi_asset(
        outs={
            name: dg.AssetOut()
            for name in ("movies", "user_item_matrix", "recommender_model", "model_selection")
        }
    )
    def trained():
        yield dg.Output(data.movies, output_name="movies")
        yield dg.Output(matrix, output_name="user_item_matrix")
        yield dg.Output(model, output_name="recommender_model")
        yield dg.Output({"model": "ease"}, output_name="model_selection")

    return trained, matrix


def lists(upstream, tmp_path: Path, buckets: int, k: int = 7) -> tuple[pl.DataFrame, dict]:
    trained, _ = upstream
    home = CineHome(path=str(tmp_path / f"home-{buckets}-{k}"))
    result = dg.materialize(
        [
            trained,
            recommendations.recommendation_settings,
            *recommendations.scoring_assets(buckets),
        ],
        resources={"home": home, "io_manager": CineIOManager(home=home)},
        run_config={"ops": {"recommendation_settings": {"config": {"k": k}}}},
    )
    assert result.success
    meta = {
        e.asset_key.to_user_string(): e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    return result.output_for_node("user_recommendations"), meta


def test_three_buckets_give_the_lists_of_one_step(upstream, tmp_path: Path) -> None:
    _, matrix = upstream
    one, _ = lists(upstream, tmp_path, 1)
    three, meta = lists(upstream, tmp_path, 3)
    assert three.equals(one)
    assert one.group_by("user_id").len()["len"].unique().to_list() == [7]
    sizes = [meta[f"user_recommendations_bucket_{i}_of_3"]["users"].value for i in (1, 2, 3)]
    assert sum(sizes) == matrix.shape[0] and max(sizes) - min(sizes) <= 1
    assert meta["user_recommendations"]["k"].value == 7
    assert meta["user_recommendations"]["model"].value == "ease"


def test_k_is_set_once_for_every_bucket(upstream, tmp_path: Path) -> None:
    recs, meta = lists(upstream, tmp_path, 2, k=3)
    assert recs["rank"].max() == 3 and meta["recommendation_settings"]["k"].value == 3


def test_bucket_rows_cover_every_user_once() -> None:
    for n_users, buckets in ((10, 3), (2, 4), (1, 1)):
        rows = np.concatenate(
            [recommendations.bucket_rows(n_users, i, buckets) for i in range(buckets)]
        )
        assert rows.tolist() == list(range(n_users))


def test_the_bucket_count_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv(recommendations.SCORING_BUCKETS_ENV, "4")
    keys = {
        k.to_user_string() for k in build_definitions().resolve_asset_graph().get_all_asset_keys()
    }
    assert {f"user_recommendations_bucket_{i}_of_4" for i in range(1, 5)} <= keys
    for bad in ("0", "two", "-1"):
        with pytest.raises(ValueError, match="CINE_SCORING_BUCKETS must be a whole number"):
            scoring_buckets(bad)

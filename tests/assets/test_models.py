"""model_tuning and model_selection materialized on a real sample: the selection records the
protocol it was validated on, and the search logs its progress to the run's log."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from assets import models
from assets.resources import CineHome
from ml.data.readers import load_movielens
from pipelines.io_managers import CineIOManager


@pytest.fixture(scope="module")
def sample(sample_release: Path):
    data = load_movielens(sample_release)
    top = data.ratings.group_by("item_id").len().sort(["len", "item_id"], descending=True)
    ratings = data.ratings.join(top.head(300).select("item_id"), on="item_id", how="semi")

    @dg.multi_asset(outs={"ratings": dg.AssetOut(), "movies": dg.AssetOut()}, group_name="ingest")
    def release():
        yield dg.Output(ratings, output_name="ratings")
        yield dg.Output(data.movies, output_name="movies")

    return release


def materialize(sample, tmp_path: Path, tuning: dict) -> tuple[dg.ExecuteInJobResult, list[str]]:
    home = CineHome(path=str(tmp_path / "home"))
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [sample, models.model_tuning, models.model_selection],
        resources={"home": home, "io_manager": CineIOManager(home=home)},
        run_config={"ops": {"model_tuning": {"config": tuning}}},
        instance=instance,
    )
    logs = [e.user_message for e in instance.all_logs(result.run_id)]
    return result, logs


def test_temporal_selection_records_its_protocol(sample, tmp_path: Path) -> None:
    config = {"protocol": "temporal", "models": ["popularity", "ease"], "budget_seconds": 600}
    result, logs = materialize(sample, tmp_path, config)
    assert result.success
    tuning = result.output_for_node("model_tuning")
    assert tuning["protocol"].unique().to_list() == ["temporal"]
    choice = result.output_for_node("model_selection")
    best = tuning.sort("ndcg@10", descending=True).row(0, named=True)
    assert choice["protocol"] == "temporal" and choice["model"] == best["model"]
    assert choice["validation"]["ndcg@10"] == best["ndcg@10"]
    meta = {
        e.asset_key.to_user_string(): e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    assert meta["model_selection"]["protocol"].value == "temporal"
    assert meta["model_tuning"]["tried"].value == 5
    assert meta["model_tuning"]["skipped"].value == 0
    assert any(line.startswith("[5/5] ease") for line in logs), logs


def test_a_spent_budget_fails_the_selection_and_says_so(sample, tmp_path: Path) -> None:
    config = {"models": ["popularity"], "budget_seconds": 0.0}
    home = CineHome(path=str(tmp_path / "home"))
    with pytest.raises(ValueError, match="evaluated no model"):
        dg.materialize(
            [sample, models.model_tuning, models.model_selection],
            resources={"home": home, "io_manager": CineIOManager(home=home)},
            run_config={"ops": {"model_tuning": {"config": config}}},
        )
    table = pl.read_parquet(home.root / "tables" / "model_tuning.parquet")
    assert table["skipped"].to_list() == ["time budget spent"]

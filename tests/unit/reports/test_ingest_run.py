"""A run that went on from its ingest gate's outputs: its summary reads both runs' events,
on a real Dagster instance and the project's IO manager."""

from pathlib import Path

import dagster as dg
import polars as pl

from assets.resources import CineHome
from pipelines.io_managers import CineIOManager
from reports.summary import INGEST_RUN_TAG, run_events, run_ids, step_seconds


def _definitions(home: CineHome) -> dg.Definitions:
    @dg.asset(group_name="ingest")
    def ratings() -> pl.DataFrame:
        return pl.DataFrame({"rating": [4.0, 5.0]})

    @dg.asset_check(asset=ratings, blocking=True)
    def ratings_in_range(ratings: pl.DataFrame) -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=bool(ratings["rating"].is_between(0.5, 5).all()))

    @dg.asset
    def model(ratings: pl.DataFrame) -> dg.Output[pl.DataFrame]:
        return dg.Output(ratings.select(pl.col("rating").mean()), metadata={"rows": 1})

    @dg.asset_check(asset=model, blocking=True)
    def model_present(model: pl.DataFrame) -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=model.height == 1)

    return dg.Definitions(
        assets=[ratings, model],
        asset_checks=[ratings_in_range, model_present],
        jobs=[
            dg.define_asset_job("gate", selection=dg.AssetSelection.groups("ingest")),
            dg.define_asset_job("all", selection=dg.AssetSelection.all()),
        ],
        resources={"home": home, "io_manager": CineIOManager(home=home)},
    )


def test_a_run_after_its_gate_reports_both_runs(tmp_path: Path) -> None:
    home = CineHome(path=str(tmp_path / "home"))
    defs = _definitions(home)
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        gate = defs.resolve_job_def("gate").execute_in_process(instance=instance)
        main = (
            defs.resolve_job_def("all")
            .get_subset(asset_selection={dg.AssetKey("model")})
            .execute_in_process(instance=instance, tags={INGEST_RUN_TAG: gate.run_id})
        )
        assert main.success
        # The main run itself neither read nor checked the ratings: its gate did.
        own = {e.step_key for e in instance.all_logs(main.run_id) if e.step_key}
        assert "ratings" not in own and "model" in own
        assert run_ids(instance, main.run_id) == [gate.run_id, main.run_id]
        materialized, checks, errors = run_events(instance, main.run_id)
        assert set(materialized) == {"ratings", "model"} and not errors
        assert {(c["asset"], c["name"], c["passed"]) for c in checks} == {
            ("ratings", "ratings_in_range", True),
            ("model", "model_present", True),
        }
        assert {s["step"] for s in step_seconds(instance, main.run_id)} >= {"ratings", "model"}
        # A run without the tag is only itself.
        assert run_ids(instance, gate.run_id) == [gate.run_id]
        assert set(run_events(instance, gate.run_id)[0]) == {"ratings"}

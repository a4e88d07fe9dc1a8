"""Incremental refresh: an asset reuses its last output exactly when its code version, its
config and its inputs' data versions are unchanged, on a real Dagster instance and the
project's IO manager."""

from pathlib import Path

import dagster as dg
import polars as pl
import pytest

import assets.reuse as reuse
from assets.resources import CineHome
from assets.reuse import FULL_REFRESH_TAG, REUSED_FROM, frame_version, previous_output
from pipelines.io_managers import CineIOManager


class SourceConfig(dg.Config):
    path: str


class CostlyConfig(dg.Config):
    factor: int = 2


def _definitions(code_version: str, calls: list[int], home: CineHome) -> dg.Definitions:
    @dg.asset
    def source(config: SourceConfig) -> dg.Output[pl.DataFrame]:
        frame = pl.read_csv(config.path)
        return dg.Output(frame, data_version=frame_version(frame))

    @dg.asset(code_version=code_version)
    def costly(
        context: dg.AssetExecutionContext,
        source: pl.DataFrame,
        home: CineHome,
        config: CostlyConfig,
    ) -> dg.Output[pl.DataFrame]:
        if (reused := previous_output(context, home)) is not None:
            return reused
        calls.append(1)
        out = source.with_columns(pl.col("x") * config.factor)
        return dg.Output(out, metadata={"total": int(out["x"].sum())})

    @dg.asset_check(asset=costly, blocking=True)
    def costly_positive(costly: pl.DataFrame) -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=bool((costly["x"] > 0).all()))

    @dg.asset(code_version="1")
    def downstream(costly: pl.DataFrame) -> pl.DataFrame:
        return costly.head(1)

    return dg.Definitions(
        assets=[source, costly, downstream],
        asset_checks=[costly_positive],
        jobs=[dg.define_asset_job("all", selection=dg.AssetSelection.all())],
        resources={"home": home, "io_manager": CineIOManager(home=home)},
    )


@pytest.fixture
def world(tmp_path: Path):
    csv = tmp_path / "in.csv"
    csv.write_text("x\n1\n2\n3\n")
    home = CineHome(path=str(tmp_path / "home"))
    instance = dg.DagsterInstance.ephemeral()
    calls: list[int] = []

    def run(*, code: str = "1", factor: int = 2, tags: dict | None = None):
        defs = _definitions(code, calls, home)
        job = defs.resolve_job_def("all")
        config = {"ops": {"source": {"config": {"path": str(csv)}}}}
        if factor != 2:
            config["ops"]["costly"] = {"config": {"factor": factor}}
        result = job.execute_in_process(
            instance=instance,
            run_config=config,
            tags=tags or {},
        )
        assert result.success
        events = result.asset_materializations_for_node("costly")
        checks = result.get_asset_check_evaluations()
        return result.run_id, events[0].metadata, checks

    return run, csv, calls, home


def test_an_unchanged_rerun_reuses_and_still_runs_the_checks(world) -> None:
    run, _, calls, home = world
    first, meta, _ = run()
    assert calls == [1] and REUSED_FROM not in meta
    second, meta, checks = run()
    assert calls == [1], "an unchanged input recomputed the costly asset"
    assert meta[REUSED_FROM].value == first
    assert meta["total"].value == 12, "the reused output keeps its metadata"
    assert [c.passed for c in checks] == [True], "checks run on the reused output"
    # A reuse of a reuse still names the run that computed it.
    _, meta, _ = run()
    assert meta[REUSED_FROM].value == first and calls == [1]
    assert pl.read_parquet(home.root / "tables" / "downstream.parquet")["x"].to_list() == [2]


def test_changed_data_config_code_or_a_full_refresh_recompute(world) -> None:
    run, csv, calls, _ = world
    run()
    csv.write_text("x\n1\n2\n4\n")
    _, meta, _ = run()
    assert len(calls) == 2 and REUSED_FROM not in meta and meta["total"].value == 14
    # Rewriting the same content is no change: the data version comes from the content.
    csv.write_text("x\n1\n2\n4\n")
    run()
    assert len(calls) == 2
    _, meta, _ = run(factor=3)
    assert len(calls) == 3 and meta["total"].value == 21
    run(factor=3)
    assert len(calls) == 3
    run(factor=3, code="2")
    assert len(calls) == 4
    run(factor=3, code="2", tags={FULL_REFRESH_TAG: "true"})
    assert len(calls) == 5


def test_a_lost_stored_value_is_recomputed(world) -> None:
    run, _, calls, home = world
    run()
    (home.root / "tables" / "costly.parquet").unlink()
    _, meta, _ = run()
    assert len(calls) == 2 and REUSED_FROM not in meta


def test_source_version_follows_the_imports(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "ml" / "sub").mkdir(parents=True)
    (tmp_path / "assets").mkdir()
    (tmp_path / "ml" / "__init__.py").write_text("")
    (tmp_path / "ml" / "sub" / "__init__.py").write_text("")
    (tmp_path / "ml" / "sub" / "used.py").write_text("from . import deep\n")
    (tmp_path / "ml" / "sub" / "deep.py").write_text("X = 1\n")
    (tmp_path / "ml" / "unused.py").write_text("Y = 1\n")
    (tmp_path / "assets" / "__init__.py").write_text("")
    (tmp_path / "assets" / "a.py").write_text("import numpy\nfrom ml.sub import used\n")
    monkeypatch.setattr(reuse, "_ROOT", tmp_path)

    def version() -> str:
        reuse.source_version.cache_clear()
        reuse._imports.cache_clear()
        return reuse.source_version("assets.a")

    before = version()
    (tmp_path / "ml" / "unused.py").write_text("Y = 2\n")
    assert version() == before, "a module the assets do not import is not their code"
    (tmp_path / "ml" / "sub" / "deep.py").write_text("X = 2\n")
    assert version() != before, "an edit two imports down is a new code version"


def test_the_report_reads_the_key_reuse_writes() -> None:
    from reports import summary

    assert summary.REUSED_FROM == REUSED_FROM

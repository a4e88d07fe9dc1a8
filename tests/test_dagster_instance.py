"""Dagster's own storage on PostgreSQL (dagster-postgres), with the shipped example config."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "dagster.yaml"


@dg.asset
def upstream() -> int:
    return 1


@dg.asset_check(asset=upstream, blocking=True)
def upstream_is_two(upstream: int) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=upstream == 2, metadata={"value": upstream, "threshold": 2})


@dg.asset
def downstream(upstream: int) -> int:
    return upstream + 1


def psycopg2_url(url: str) -> str:
    """The libpq URL with the explicit psycopg2 driver dagster-postgres needs."""
    parts = urlsplit(url)
    return url.replace(f"{parts.scheme}://", "postgresql+psycopg2://", 1)


def test_materialization_and_blocking_check_recorded_in_postgres(
    tmp_path: Path, pg_url: str, monkeypatch
) -> None:
    monkeypatch.setenv("CINE_DAGSTER_PG_URL", psycopg2_url(pg_url))
    shutil.copy(EXAMPLE, tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        result = dg.materialize(
            [upstream, downstream, upstream_is_two], instance=instance, raise_on_error=False
        )
        assert not result.success
        event = instance.get_latest_materialization_event(dg.AssetKey("upstream"))
        assert event is not None and event.run_id == result.run_id
        # The failed blocking check stopped the downstream asset.
        assert instance.get_latest_materialization_event(dg.AssetKey("downstream")) is None
        run = instance.get_run_by_id(result.run_id)
        assert run.status == dg.DagsterRunStatus.FAILURE

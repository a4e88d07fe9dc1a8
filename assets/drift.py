"""Drift: this run's inputs and outputs against the published release, with evidently."""

from pathlib import Path

import dagster as dg
import polars as pl

from assets.resources import CineHome, GateResource
from publish.releases import current_release
from quality import drift

GROUP = "drift"


def _reference(home: CineHome, name: str) -> pl.DataFrame | None:
    """The profile the published release keeps, or None before the first publish."""
    release = current_release(home.root / "published")
    path = None if release is None else release / f"{name}.parquet"
    return pl.read_parquet(path) if path is not None and path.exists() else None


def _gate(gate: GateResource) -> drift.DriftGate:
    return drift.DriftGate(
        p_value=gate.drift_p_value,
        distance=gate.drift_distance,
        removed_share=gate.drift_removed_share,
        new_share=gate.drift_new_share,
    )


def _keep(result: drift.DriftResult, folder: Path) -> list[str]:
    """Evidently's own JSON and HTML of every feature, kept with the run."""
    folder.mkdir(parents=True, exist_ok=True)
    for feature, snapshot in result.snapshots.items():
        snapshot.save_json(str(folder / f"{feature}.json"))
        snapshot.save_html(str(folder / f"{feature}.html"))
    return sorted(str(p) for p in folder.glob("*.html"))


def _drift(context, home, gate, profile, name, features) -> dg.Output[pl.DataFrame]:
    reference = _reference(home, name)
    result = drift.compare(reference, profile, features, _gate(gate))
    pages = _keep(result, home.folder("drift") / context.run_id / name)
    if result.baseline:
        context.log.info(f"{name}: nothing published yet, this run becomes the baseline")
    return dg.Output(
        result.table,
        metadata={
            "baseline": result.baseline,
            "drifted": dg.MetadataValue.json(result.drifted()),
            "blocked": dg.MetadataValue.json(result.blocked()),
            "evidently_html": dg.MetadataValue.json(pages),
            "dagster/row_count": result.table.height,
        },
    )


@dg.asset(group_name=GROUP)
def input_profile(ratings: pl.DataFrame) -> dg.Output[pl.DataFrame]:
    """Small profile of the ratings (value sample, per-user and per-movie counts)."""
    profile = drift.input_profile(ratings)
    return dg.Output(profile, metadata={"dagster/row_count": profile.height})


@dg.asset(group_name=GROUP)
def output_profile(
    user_recommendations: pl.DataFrame, input_profile: pl.DataFrame
) -> dg.Output[pl.DataFrame]:
    """Small profile of the served lists (scores, popularity of what is served, coverage)."""
    profile = drift.output_profile(user_recommendations, input_profile)
    return dg.Output(profile, metadata={"dagster/row_count": profile.height})


@dg.asset(group_name=GROUP)
def input_drift(
    context: dg.AssetExecutionContext,
    home: CineHome,
    gate: GateResource,
    input_profile: pl.DataFrame,
) -> dg.Output[pl.DataFrame]:
    """Drift of ratings, user activity, movie popularity and id turnover vs the published run."""
    return _drift(context, home, gate, input_profile, "input_profile", drift.INPUT_FEATURES)


@dg.asset(group_name=GROUP)
def output_drift(
    context: dg.AssetExecutionContext,
    home: CineHome,
    gate: GateResource,
    output_profile: pl.DataFrame,
) -> dg.Output[pl.DataFrame]:
    """Drift of served scores, popularity of served movies and coverage vs the published run."""
    return _drift(context, home, gate, output_profile, "output_profile", drift.OUTPUT_FEATURES)

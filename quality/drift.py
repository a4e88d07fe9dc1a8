"""Drift of this run against the published one, measured with evidently.

A run's inputs and outputs are first reduced to a small *profile* (one long table: a
feature name, an optional id, a value): the rating values (a seeded sample), ratings per
user, ratings per movie, and for the outputs the recommendation scores, the popularity of
every recommended movie and the catalogue coverage. The published release keeps its
profile, so the next run compares against what readers see, at a cost that does not grow
with the ratings (the sample is capped).

``compare`` runs one evidently ``ValueDrift`` per distribution feature (evidently picks the
test by size and type: K-S or chi-square p-values on small samples, normed Wasserstein or
Jensen-Shannon distances on large ones) and measures the turnover of users and movies
(shares new and removed) directly. Each row says whether evidently saw drift (a warning)
and whether it crossed the gate (blocking).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from quality.result import CheckResult

PROFILE_SCHEMA = {"feature": pl.String(), "key": pl.Int64(), "value": pl.Float64()}
INPUT_FEATURES = ("rating", "user_activity", "item_popularity")
OUTPUT_FEATURES = ("rec_score", "rec_item_popularity", "rec_coverage")
#: Compared and reported, never blocking: score scales differ between models, and coverage
#: moves when the selection picks another model; both are for a human to look at.
WARN_ONLY = frozenset({"rec_score", "rec_coverage"})
#: Features compared as sets of ids: (feature, what its keys are).
TURNOVER = {"user_activity": "users", "item_popularity": "movies"}
SAMPLE_ROWS = 100_000

DRIFT_SCHEMA = {
    "feature": pl.String(),
    "method": pl.String(),
    "statistic": pl.Float64(),
    "kind": pl.String(),
    "warn_threshold": pl.Float64(),
    "gate_threshold": pl.Float64(),
    "drifted": pl.Boolean(),
    "blocked": pl.Boolean(),
    "reference_n": pl.Int64(),
    "current_n": pl.Int64(),
}


@dataclass(frozen=True)
class DriftGate:
    """Where drift stops a run. ``p_value``: a p-value test blocks below it; ``distance``:
    a distance blocks above it; ``removed_share`` / ``new_share``: the largest share of the
    reference's ids missing now, and of today's ids that are new."""

    p_value: float = 1e-3
    distance: float = 0.3
    removed_share: float = 0.2
    new_share: float = 0.5


def _rows(feature: str, values, keys=None) -> pl.DataFrame:
    values = np.asarray(values, dtype=np.float64)
    keys = np.full(len(values), None) if keys is None else np.asarray(keys, dtype=np.int64)
    return pl.DataFrame({"feature": feature, "key": keys, "value": values}, schema=PROFILE_SCHEMA)


def input_profile(
    ratings: pl.DataFrame, *, sample: int = SAMPLE_ROWS, seed: int = 42
) -> pl.DataFrame:
    """The profile of ``ratings`` (columns user_id, item_id, rating): at most ``sample``
    rating values, and the number of ratings of every user and every movie."""
    picked = ratings if ratings.height <= sample else ratings.sample(sample, seed=seed)
    users = ratings.group_by("user_id").len().sort("user_id")
    items = ratings.group_by("item_id").len().sort("item_id")
    return pl.concat(
        [
            _rows("rating", picked["rating"].to_numpy()),
            _rows("user_activity", users["len"].to_numpy(), users["user_id"].to_numpy()),
            _rows("item_popularity", items["len"].to_numpy(), items["item_id"].to_numpy()),
        ]
    )


def output_profile(
    recs: pl.DataFrame, inputs: pl.DataFrame, *, sample: int = SAMPLE_ROWS, seed: int = 42
) -> pl.DataFrame:
    """The profile of the served lists ``recs`` (user_id, item_id, score): score sample, the
    popularity (ratings in ``inputs``' profile) of each recommended movie, and coverage (the
    share of rated movies that appear in some list)."""
    popularity = inputs.filter(pl.col("feature") == "item_popularity").select(
        pl.col("key").alias("item_id"), pl.col("value").alias("popularity")
    )
    picked = recs if recs.height <= sample else recs.sample(sample, seed=seed)
    joined = picked.select("item_id").join(popularity, on="item_id", how="left")
    coverage = recs["item_id"].n_unique() / max(1, popularity.height)
    return pl.concat(
        [
            _rows("rec_score", picked["score"].cast(pl.Float64).to_numpy()),
            _rows("rec_item_popularity", joined["popularity"].fill_null(0).to_numpy()),
            _rows("rec_coverage", [coverage]),
        ]
    )


@dataclass(frozen=True)
class DriftResult:
    """Per-feature rows (``DRIFT_SCHEMA``) and evidently's own result per feature."""

    table: pl.DataFrame
    snapshots: dict[str, Any]
    baseline: bool = False

    def blocked(self) -> list[str]:
        return self.table.filter(pl.col("blocked"))["feature"].to_list()

    def drifted(self) -> list[str]:
        return self.table.filter(pl.col("drifted"))["feature"].to_list()


def compare(
    reference: pl.DataFrame | None,
    current: pl.DataFrame,
    features: tuple[str, ...],
    gate: DriftGate = DriftGate(),
) -> DriftResult:
    """Drift of ``current`` against ``reference`` (two profiles) for ``features``.

    Without a reference (nothing published yet) the result is an empty baseline that passes.
    """
    if reference is None:
        return DriftResult(pl.DataFrame(schema=DRIFT_SCHEMA), {}, baseline=True)
    rows, snapshots = [], {}
    for feature in features:
        ref = reference.filter(pl.col("feature") == feature)
        cur = current.filter(pl.col("feature") == feature)
        if ref.height == 0 or cur.height == 0:
            continue
        if ref.height == 1 and cur.height == 1:
            rows.append(_scalar(feature, ref["value"][0], cur["value"][0], gate))
            continue
        row, snapshot = _evidently(feature, ref["value"].to_numpy(), cur["value"].to_numpy(), gate)
        rows.append(row)
        snapshots[feature] = snapshot
        if feature in TURNOVER:
            rows += _turnover(feature, ref["key"], cur["key"], gate)
    warn_only = pl.col("feature").is_in(list(WARN_ONLY))
    table = pl.DataFrame(rows, schema=DRIFT_SCHEMA, orient="row").with_columns(
        pl.col("blocked") & ~warn_only,
        pl.when(warn_only).then(None).otherwise(pl.col("gate_threshold")).alias("gate_threshold"),
    )
    return DriftResult(table, snapshots)


def _evidently(feature: str, ref: np.ndarray, cur: np.ndarray, gate: DriftGate):
    import pandas as pd
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import ValueDrift

    logging.getLogger("evidently").setLevel(logging.ERROR)
    definition = DataDefinition(numerical_columns=[feature])

    def data(values):
        return Dataset.from_pandas(pd.DataFrame({feature: values}), data_definition=definition)

    with warnings.catch_warnings():
        # A constant column makes evidently's histogram divide by zero; the test still runs.
        warnings.simplefilter("ignore", RuntimeWarning)
        snapshot = Report([ValueDrift(column=feature)]).run(
            current_data=data(cur), reference_data=data(ref)
        )
    result = snapshot.dict()["metrics"][0]
    method, warn = result["config"]["method"], float(result["config"]["threshold"])
    statistic = float(result["value"])
    if "p_value" in method:
        kind, drifted, blocked, gate_at = (
            "p_value",
            statistic < warn,
            statistic < gate.p_value,
            gate.p_value,
        )
    else:
        kind, drifted, blocked, gate_at = (
            "distance",
            statistic > warn,
            statistic > gate.distance,
            gate.distance,
        )
    row = (feature, method, statistic, kind, warn, gate_at, drifted, blocked, len(ref), len(cur))
    return row, snapshot


def _turnover(
    feature: str, ref_keys: pl.Series, cur_keys: pl.Series, gate: DriftGate
) -> list[tuple]:
    what = TURNOVER[feature]
    ref, cur = set(ref_keys.to_list()), set(cur_keys.to_list())
    removed = len(ref - cur) / max(1, len(ref))
    new = len(cur - ref) / max(1, len(cur))
    return [
        (
            f"removed_{what}",
            "share of reference ids missing",
            removed,
            "share",
            gate.removed_share / 2,
            gate.removed_share,
            removed > gate.removed_share / 2,
            removed > gate.removed_share,
            len(ref),
            len(cur),
        ),
        (
            f"new_{what}",
            "share of current ids not in reference",
            new,
            "share",
            gate.new_share / 2,
            gate.new_share,
            new > gate.new_share / 2,
            new > gate.new_share,
            len(ref),
            len(cur),
        ),
    ]


def _scalar(feature: str, ref: float, cur: float, gate: DriftGate) -> tuple:
    """A single number (coverage): its relative change, gated like a distance."""
    change = abs(cur - ref) / max(abs(ref), 1e-12)
    return (
        feature,
        "relative change",
        change,
        "distance",
        0.1,
        gate.distance,
        change > 0.1,
        change > gate.distance,
        1,
        1,
    )


def gate_result(table: pl.DataFrame, *, forced: bool = False) -> CheckResult:
    """Blocking outcome of a ``compare`` table: passes unless a feature crossed the gate, or
    when ``forced``; an empty table is the baseline run (nothing published to compare)."""
    if table.is_empty():
        return CheckResult(
            True, 0, "no published profile yet: this run is the baseline", {"baseline": True}
        )
    blocked = table.filter(pl.col("blocked"))["feature"].to_list()
    details = {
        "blocked_features": blocked,
        "drifted_features": table.filter(pl.col("drifted"))["feature"].to_list(),
        "methods": dict(zip(table["feature"], table["method"])),
        "statistics": dict(zip(table["feature"], table["statistic"])),
        "gate_thresholds": dict(zip(table["feature"], table["gate_threshold"])),
        "forced": forced,
    }
    passed = forced or not blocked
    return CheckResult(passed, len(blocked), "0 features past the drift gate", details)


def warn_result(table: pl.DataFrame) -> CheckResult:
    """Warning outcome: fails (as a warning) when evidently saw drift in any feature."""
    drifted = table.filter(pl.col("drifted"))["feature"].to_list()
    details = {
        "drifted_features": drifted,
        "methods": dict(zip(table["feature"], table["method"])),
        "statistics": dict(zip(table["feature"], table["statistic"])),
        "baseline": table.is_empty(),
    }
    return CheckResult(not drifted, len(drifted), "0 features drifted (evidently's tests)", details)

"""Experiment configs as a table (``experiment_configs``), one row per variant, and back."""

from __future__ import annotations

import json

import polars as pl

from ml.experiments.config import ExperimentConfig, Variant

SCHEMA = {
    "experiment": pl.String,
    "salt": pl.String,
    "variant": pl.String,
    "position": pl.Int32,
    "traffic": pl.Float64,
    "weights": pl.String,
    "diversity_lambda": pl.Float64,
    "list_length": pl.Int32,
}


def experiments_frame(experiments: list[ExperimentConfig]) -> pl.DataFrame:
    rows = [
        (
            e.name,
            e.salt,
            v.name,
            n,
            v.traffic,
            json.dumps(v.weights, sort_keys=True),
            v.diversity_lambda,
            v.list_length,
        )
        for e in experiments
        for n, v in enumerate(e.variants)
    ]
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def configs_of(frame: pl.DataFrame) -> list[ExperimentConfig]:
    """The configs back from ``experiments_frame`` (the control first, as configured)."""
    out = []
    for (name,), group in frame.sort("experiment", "position").group_by(
        "experiment", maintain_order=True
    ):
        variants = tuple(
            Variant(
                r["variant"],
                r["traffic"],
                json.loads(r["weights"]),
                r["diversity_lambda"],
                r["list_length"],
            )
            for r in group.iter_rows(named=True)
        )
        out.append(ExperimentConfig(name, group["salt"][0], variants))
    return out

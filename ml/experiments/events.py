"""CTR per variant and lift against the control, from the exposure/click events apps write.

The events table (``sql/events.sql``; Postgres ``cine.events``) has one row per event:
``experiment``, ``variant``, ``user_id``, ``item_id``, ``event`` (``exposure`` or
``click``), ``occurred_at``. A click counts toward the CTR of the variant it names.
"""

from __future__ import annotations

import polars as pl

from ml.experiments.config import ExperimentConfig
from ml.experiments.stats import two_proportions

EVENT_KINDS = ("exposure", "click")

RESULT_SCHEMA = {
    "experiment": pl.String,
    "variant": pl.String,
    "exposures": pl.Int64,
    "clicks": pl.Int64,
    "ctr": pl.Float64,
    "diff": pl.Float64,
    "diff_lo": pl.Float64,
    "diff_hi": pl.Float64,
    "lift": pl.Float64,
    "lift_lo": pl.Float64,
    "lift_hi": pl.Float64,
    "z": pl.Float64,
    "p_value": pl.Float64,
    "note": pl.String,
}


COMPARED = ("diff", "diff_lo", "diff_hi", "lift", "lift_lo", "lift_hi", "z", "p_value")


def ctr_results(
    events: pl.DataFrame, experiments: list[ExperimentConfig], *, alpha: float = 0.05
) -> pl.DataFrame:
    """One row per (experiment, variant): exposures, clicks, CTR, and against the control the
    difference, relative lift (with intervals) and the two-proportion z test.

    A variant without exposures gets a row whose ``note`` says so and whose numbers are null.
    """
    counts = (
        events.filter(pl.col("event").is_in(EVENT_KINDS))
        .group_by("experiment", "variant")
        .agg(
            (pl.col("event") == "exposure").sum().cast(pl.Int64).alias("exposures"),
            (pl.col("event") == "click").sum().cast(pl.Int64).alias("clicks"),
        )
    )
    got = {(e, v): (n, c) for e, v, n, c in counts.iter_rows()}
    rows = []
    for exp in experiments:
        n_a, c_a = got.get((exp.name, exp.control.name), (0, 0))
        for variant in exp.variants:
            n, c = got.get((exp.name, variant.name), (0, 0))
            row = {
                "experiment": exp.name,
                "variant": variant.name,
                "exposures": n,
                "clicks": c,
                "ctr": c / n if n else None,
            }
            if n == 0:
                row["note"] = "no exposures yet"
            elif variant is exp.control:
                row["note"] = "control"
            elif n_a == 0:
                row["note"] = "the control has no exposures yet"
            else:
                test = two_proportions(c_a, n_a, c, n, alpha=alpha)
                row.update({k: test[k] for k in COMPARED})
                row["note"] = f"against {exp.control.name}"
            rows.append(row)
    return pl.DataFrame(rows, schema=RESULT_SCHEMA)

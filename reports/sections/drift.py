"""The drift section of the run report: per-feature drift of inputs and outputs, as data."""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl

TEMPLATE = "drift_section.html.j2"
#: The gauge runs from no drift to 1.5 × the gate.
GAUGE_SPAN = 1.5


def _severity(kind: str, statistic: float, threshold: float) -> float:
    """How far towards ``threshold`` a statistic is: 1.0 at the threshold. p-values compare
    on a log scale (a smaller p-value is stronger drift)."""
    if kind == "p_value":
        return -math.log10(max(statistic, 1e-300)) / -math.log10(threshold)
    return statistic / threshold if threshold else 0.0


def _double(kind: str, threshold: float) -> float:
    """A threshold twice as strict: the square of a p-value, twice a distance."""
    return threshold**2 if kind == "p_value" else 2 * threshold


def drift_section(tables: dict[str, pl.DataFrame], evidently_folder: Path | None) -> dict:
    """``{"title", "html_template", "data"}``: one row per feature of every drift table."""
    groups = []
    for name, table in tables.items():
        rows = []
        for r in table.iter_rows(named=True):
            kind, warn_at = r["kind"], r["warn_threshold"]
            # A warn-only feature has no gate: its gauge runs to twice the warning.
            gate_at = r["gate_threshold"]
            scale = gate_at if gate_at is not None else _double(kind, warn_at)
            rows.append(
                {
                    **r,
                    "outcome": "blocked" if r["blocked"] else ("drifted" if r["drifted"] else "ok"),
                    "gauge": min(_severity(kind, r["statistic"], scale), GAUGE_SPAN) / GAUGE_SPAN,
                    "warn_mark": _severity(kind, warn_at, scale) / GAUGE_SPAN,
                    "gate_mark": 1.0 / GAUGE_SPAN,
                }
            )
        groups.append({"name": name, "baseline": table.is_empty(), "rows": rows})
    return {
        "title": "Drift against the published run",
        "html_template": TEMPLATE,
        "data": {
            "groups": groups,
            "evidently_folder": str(evidently_folder) if evidently_folder else None,
        },
    }


def drift_section_from_tables(tables_dir: Path, evidently_folder: Path | None) -> dict | None:
    found = {
        name: pl.read_parquet(tables_dir / f"{name}.parquet")
        for name in ("input_drift", "output_drift")
        if (tables_dir / f"{name}.parquet").exists()
    }
    return drift_section(found, evidently_folder) if found else None

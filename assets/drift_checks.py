"""Drift checks: past the gate blocks publishing; drift under it is a warning."""

import polars as pl

from assets.checking import gate_check, to_dagster
from assets.resources import GateResource
from quality import drift


@gate_check("input_drift", "input_drift_within_gate", "No input feature drifted past the gate.")
def input_drift_within_gate(input_drift: pl.DataFrame, gate: GateResource):
    return to_dagster(drift.gate_result(input_drift, forced=gate.force_publish))


@gate_check(
    "input_drift", "input_drift_detected", "Evidently saw no input drift (a warning).", warn=True
)
def input_drift_detected(input_drift: pl.DataFrame):
    return to_dagster(drift.warn_result(input_drift), warn=True)


@gate_check("output_drift", "output_drift_within_gate", "No output feature drifted past the gate.")
def output_drift_within_gate(output_drift: pl.DataFrame, gate: GateResource):
    return to_dagster(drift.gate_result(output_drift, forced=gate.force_publish))


@gate_check(
    "output_drift", "output_drift_detected", "Evidently saw no output drift (a warning).", warn=True
)
def output_drift_detected(output_drift: pl.DataFrame):
    return to_dagster(drift.warn_result(output_drift), warn=True)

"""Jobs: the whole gated pipeline, and its parts for engineers who rerun one stage."""

from __future__ import annotations

import dagster as dg

MAIN_JOB = "cine"

cine_job = dg.define_asset_job(
    MAIN_JOB,
    selection=dg.AssetSelection.all(),
    description="Ingest, train, recommend, check, publish to Postgres and report.",
)

ingest_job = dg.define_asset_job(
    "ingest_and_check",
    selection=dg.AssetSelection.groups("ingest"),
    description="Ingest MovieLens and run its quality checks only; publishes nothing.",
)

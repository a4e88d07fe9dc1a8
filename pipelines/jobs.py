"""Jobs: the whole gated pipeline, and its parts for engineers who rerun one stage."""

from __future__ import annotations

import dagster as dg

MAIN_JOB = "cine"

#: Heavy evaluation that the default run does not repeat; its own job below.
EVALUATION_ASSETS = ("ranking_ablation",)

cine_job = dg.define_asset_job(
    MAIN_JOB,
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(*EVALUATION_ASSETS),
    description="Ingest, train, recommend, check, publish to Postgres and report.",
)

evaluation_job = dg.define_asset_job(
    "evaluation",
    selection=dg.AssetSelection.assets(*EVALUATION_ASSETS),
    description="Ablation of ALS, the best single model, hybrid and hybrid+MMR (minutes).",
)

ingest_job = dg.define_asset_job(
    "ingest_and_check",
    selection=dg.AssetSelection.groups("ingest"),
    description="Ingest MovieLens and run its quality checks only; publishes nothing.",
)

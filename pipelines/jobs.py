"""Jobs: the whole gated pipeline, and its parts for engineers who rerun one stage."""

from __future__ import annotations

import dagster as dg

from assets.reuse import TUNING_JOB

MAIN_JOB = "cine"
INGEST_JOB = "ingest_and_check"

#: Heavy evaluation that the default run does not repeat; its own jobs below. The offline
#: comparison of experiment variants refits the model and the ranker on a training split
#: (about 5 minutes on 2 cores); the report shows its latest result.
EVALUATION_ASSETS = ("ranking_ablation", "sentiment_model_card", "experiment_comparison")

cine_job = dg.define_asset_job(
    MAIN_JOB,
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(*EVALUATION_ASSETS),
    description="Ingest, train, recommend, check, publish to Postgres and report.",
)

evaluation_job = dg.define_asset_job(
    "evaluation",
    selection=dg.AssetSelection.assets("ranking_ablation", "experiment_comparison"),
    description="Ablation of single models, a blend, the hybrid and hybrid+MMR on both split "
    "protocols (stratified, temporal), and the "
    "offline comparison of experiment variants with bootstrap intervals (minutes).",
)

tuning_job = dg.define_asset_job(
    TUNING_JOB,
    selection=dg.AssetSelection.assets(
        "model_tuning", "model_selection", "als_model", "hybrid_ranker"
    ),
    description="The model search, the ALS baseline and the hybrid re-ranker, on the last "
    "ingested ratings, whatever their size; above their nightly_max_ratings the nightly run "
    "keeps what this job found.",
)

ingest_job = dg.define_asset_job(
    INGEST_JOB,
    selection=dg.AssetSelection.groups("ingest"),
    description="Ingest MovieLens and run its quality checks only; publishes nothing.",
)

sentiment_cv_job = dg.define_asset_job(
    "sentiment_cv",
    selection=dg.AssetSelection.assets("sentiment_model_card"),
    description="5-fold CV of every sentiment model on both Pang & Lee corpora (~25 min).",
)

vibe_job = dg.define_asset_job(
    "vibe_refresh",
    selection=dg.AssetSelection.groups("vibe"),
    description="Trailers, frames, embeddings and the vibe index only (new trailer files).",
)

JOBS = [cine_job, ingest_job, evaluation_job, sentiment_cv_job, vibe_job, tuning_job]

"""Models: tune every recommender on a validation split, select the best, train it on all."""

import json
from typing import Literal

import dagster as dg
import polars as pl
from pydantic import Field

from assets.resources import CineHome
from assets.reuse import (
    NIGHTLY_MAX_RATINGS,
    kept_at_scale,
    learned_on,
    previous_output,
    source_version,
)
from ml import device
from ml.recsys.evaluation import (
    CANDIDATES,
    SEARCH_SPACES,
    evaluate_model,
    make_split,
    sample_users,
    tune,
)
from ml.recsys.interactions import Interactions
from ml.recsys.models import build
from ml.recsys.models.als import AlsModel, AlsParams
from ml.recsys.models.base import Recommender

#: Code version of these assets: their source and the ml modules they import.
CODE = source_version(__name__)

SELECT_BY = "ndcg@10"


class AlsConfig(dg.Config):
    factors: int = Field(default=AlsParams.factors, description="Latent dimensions.")
    regularization: float = Field(default=AlsParams.regularization, description="L2 penalty.")
    alpha: float = Field(default=AlsParams.alpha, description="Confidence = alpha × rating.")
    iterations: int = Field(default=AlsParams.iterations, description="ALS sweeps.")
    seed: int = Field(default=42, description="Seed for factors and the validation split.")
    use_gpu: bool | None = Field(default=None, description="None: use a GPU when there is one.")
    validation_users: int | None = Field(
        default=5000,
        description="Users whose validation lists are scored, drawn by seed among those with "
        "validation ratings (every user trains); None or fewer users: all of them.",
    )
    nightly_max_ratings: int = Field(
        default=NIGHTLY_MAX_RATINGS,
        description="Above this many ratings, a run of any job but `tuning` keeps the last "
        "baseline (two ALS fits over 25M ratings are minutes; the weekly `tuning` job refits "
        "it); 0: fit in every run.",
    )


@dg.asset(group_name="models", code_version=CODE)
def als_model(
    context: dg.AssetExecutionContext,
    user_item_matrix: Interactions,
    ratings: pl.DataFrame,
    config: AlsConfig,
    home: CineHome,
) -> dg.Output[AlsModel]:
    """Implicit ALS baseline, validated on a held-out split, then refit on all ratings."""
    if (reused := previous_output(context, home)) is not None:
        return reused
    if (
        kept := kept_at_scale(context, home, ratings.height, config.nightly_max_ratings)
    ) is not None:
        return kept
    params = AlsParams(config.factors, config.regularization, config.alpha, config.iterations)
    split = make_split(ratings, "stratified", seed=config.seed)
    users = sample_users(split, config.validation_users, seed=config.seed)
    validation = evaluate_model("als", vars(params), split, seed=config.seed, users=users)
    model = AlsModel(params, seed=config.seed, use_gpu=config.use_gpu).fit(user_item_matrix.matrix)
    model.metrics = _metrics(validation)
    context.log.info(
        f"ALS validation NDCG@10 {model.metrics['ndcg@10']:.4f} over {validation['users']:,} "
        f"users on {model.device}"
    )
    return dg.Output(
        model,
        metadata={
            **_model_metadata(model),
            "validation_users": validation["users"],
            **learned_on(context),
        },
    )


class TuningConfig(dg.Config):
    protocol: Literal["stratified", "temporal"] = Field(
        default="stratified",
        description="Validation split carved from the ratings: stratified (a random quarter "
        "of each user's ratings, the deployment's choice) or temporal (each user's last "
        "rating: predicting the next movie). The selection records it.",
    )
    models: list[str] | None = Field(
        default=None,
        description="Models to search, in order; None: the protocol's candidates "
        f"({'; '.join(p + ': ' + ', '.join(m) for p, m in CANDIDATES.items())}). Available: "
        f"{', '.join(SEARCH_SPACES)} (multvae, lightgcn and neumf are slow on CPU).",
    )
    budget_seconds: float = Field(
        default=120.0,
        description="Hard limit on the search: each model gets the time left divided by the "
        "models still to come; what cannot start in time is recorded as skipped, and the "
        "torch models stop their epochs at their share's end (SASRec wants about 4 minutes "
        "of CPU on ML-100K: raise the budget for temporal, or run it on a GPU).",
    )
    validation_users: int | None = Field(
        default=5000,
        description="Users scored per configuration, drawn by seed among those with "
        "validation ratings (every user trains); None or fewer users: all of them.",
    )
    seed: int = Field(default=42, description="Seed of the validation split and the models.")
    nightly_max_ratings: int = Field(
        default=NIGHTLY_MAX_RATINGS,
        description="Above this many ratings, a run of any job but `tuning` keeps the last "
        "tuning's table (the weekly `tuning` job, schedule weekly_model_tuning, retunes), so "
        "the nightly run does not search models over 25M ratings; 0: tune in every run.",
    )
    validation_repeats: int = Field(
        default=1,
        description="Validation splits per configuration (seeds seed, seed+1, ...), metrics "
        "averaged; 3 makes close calls more reliable at 3x the time (the benchmark uses 3). "
        "The temporal split is one split.",
    )


@dg.asset(group_name="models", code_version=CODE)
def model_tuning(
    context: dg.AssetExecutionContext,
    ratings: pl.DataFrame,
    movies: pl.DataFrame,
    config: TuningConfig,
    home: CineHome,
) -> dg.Output[pl.DataFrame]:
    """Every configuration tried or skipped, with validation metrics on the protocol's split."""
    if (reused := previous_output(context, home)) is not None:
        return reused
    if (
        kept := kept_at_scale(context, home, ratings.height, config.nightly_max_ratings)
    ) is not None:
        return kept
    table = tune(
        ratings,
        models=config.models,
        protocol=config.protocol,
        budget_seconds=config.budget_seconds,
        validation_users=config.validation_users,
        seed=config.seed,
        movies=movies,
        repeats=config.validation_repeats,
        log=context.log.info,
    )
    tried = table.filter(pl.col(SELECT_BY).is_not_null()) if SELECT_BY in table else table[:0]
    return dg.Output(
        table,
        metadata={
            **learned_on(context),
            "dagster/row_count": table.height,
            "protocol": config.protocol,
            "tried": tried.height,
            "skipped": table.height - tried.height,
            "budget_seconds": config.budget_seconds,
            "validation_users": int(tried["users"].max()) if tried.height else 0,
            "table": dg.MetadataValue.md(_markdown(table)),
        },
    )


@dg.asset(group_name="models", code_version=CODE)
def model_selection(model_tuning: pl.DataFrame) -> dg.Output[dict]:
    """The configuration with the best validation NDCG@10, and the protocol it was measured on."""
    if SELECT_BY not in model_tuning.columns:
        raise ValueError("model_tuning evaluated no model: nothing to select")
    ranked = model_tuning.filter(pl.col(SELECT_BY).is_not_null()).sort(SELECT_BY, descending=True)
    if ranked.height == 0:
        raise ValueError("model_tuning evaluated no model: nothing to select")
    best = ranked.row(0, named=True)
    runner_up = ranked.filter(pl.col("model") != best["model"]).head(1)
    choice = {
        "model": best["model"],
        "params": json.loads(best["params"]),
        "protocol": best.get("protocol", "stratified"),
        "validation": _metrics(best),
        "runner_up": runner_up["model"].item() if runner_up.height else None,
        "runner_up_ndcg@10": runner_up[SELECT_BY].item() if runner_up.height else None,
    }
    return dg.Output(
        choice,
        metadata={
            "model": choice["model"],
            "params": dg.MetadataValue.json(choice["params"]),
            "protocol": choice["protocol"],
            f"validation_{SELECT_BY}": best[SELECT_BY],
            "runner_up": str(choice["runner_up"]),
            "candidates": dg.MetadataValue.md(_markdown(ranked)),
        },
    )


@dg.asset(group_name="models", code_version=CODE)
def recommender_model(
    context: dg.AssetExecutionContext,
    user_item_matrix: Interactions,
    model_selection: dict,
    home: CineHome,
) -> dg.Output[Recommender]:
    """The selected model, trained on all ratings; its validation metrics travel with it."""
    if (reused := previous_output(context, home)) is not None:
        return reused
    model = build(model_selection["model"], model_selection["params"], seed=42)
    model.fit_interactions(user_item_matrix)
    model.metrics = dict(model_selection["validation"])
    context.log.info(
        f"selected {model.name} {model_selection['params']}: validation NDCG@10 "
        f"{model.metrics['ndcg@10']:.4f}, trained in {model.train_seconds:.2f}s"
    )
    return dg.Output(model, metadata=_model_metadata(model))


def _markdown(table: pl.DataFrame) -> str:
    shown = [
        c
        for c in (
            "model",
            "params",
            "protocol",
            SELECT_BY,
            "map@10",
            "recall@10",
            "coverage",
            "novelty",
            "train_s",
            "stopped_at_deadline",
            "skipped",
        )
        if c in table.columns
    ]
    ordered = table.select(shown)
    if SELECT_BY in shown:
        ordered = ordered.sort(SELECT_BY, descending=True, nulls_last=True)
    return ordered.to_pandas().to_markdown(index=False, floatfmt=".4f")


def _metrics(row: dict) -> dict[str, float]:
    keys = (
        "precision@10",
        "recall@10",
        "ndcg@10",
        "map@10",
        "hit_rate@10",
        "coverage",
        "novelty",
        "popularity_percentile",
        "gini",
    )
    return {k: float(row[k]) for k in keys if row.get(k) is not None}


def _model_metadata(model: Recommender) -> dict:
    return {
        "model": model.name,
        "params": dg.MetadataValue.json(model.describe()["params"]),
        "train_seconds": model.train_seconds,
        "device": model.device if model.device != "cpu" else device.describe(),
        **{f"validation_{k}": v for k, v in model.metrics.items()},
    }

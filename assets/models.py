"""Models: collaborative filtering trained on the user-item matrix."""

import dagster as dg
import polars as pl
from pydantic import Field

from ml import device
from ml.evaluate import holdout_metrics
from ml.interactions import Interactions
from ml.models.als import AlsModel, AlsParams, train_als


class AlsConfig(dg.Config):
    factors: int = Field(default=AlsParams.factors, description="Latent dimensions.")
    regularization: float = Field(default=AlsParams.regularization, description="L2 penalty.")
    alpha: float = Field(default=AlsParams.alpha, description="Confidence = alpha × rating.")
    iterations: int = Field(default=AlsParams.iterations, description="ALS sweeps.")
    seed: int = Field(default=42, description="Seed for factors and the validation split.")
    validation_fraction: float = Field(
        default=0.25,
        description="Per-user share held out to measure the model before the final fit.",
    )
    use_gpu: bool | None = Field(default=None, description="None: use a GPU when there is one.")


@dg.asset(group_name="models")
def als_model(
    context: dg.AssetExecutionContext,
    user_item_matrix: Interactions,
    ratings: pl.DataFrame,
    config: AlsConfig,
) -> dg.Output[AlsModel]:
    """Implicit ALS, validated on a held-out split, then refit on all ratings."""
    params = AlsParams(config.factors, config.regularization, config.alpha, config.iterations)
    use_gpu = device.gpu_available() if config.use_gpu is None else config.use_gpu

    def fit(matrix):
        return train_als(matrix, params, seed=config.seed, use_gpu=use_gpu)

    metrics = holdout_metrics(
        ratings, fit, k=10, test_fraction=config.validation_fraction, seed=config.seed
    )
    model = fit(user_item_matrix.matrix)
    model.metrics = {k: v for k, v in metrics.items() if k != "users"}
    context.log.info(
        f"ALS trained in {model.train_seconds:.2f}s on {model.device}; "
        f"validation NDCG@10 {metrics['ndcg@10']:.4f}"
    )
    return dg.Output(
        model,
        metadata={
            "params": dg.MetadataValue.json(vars(params)),
            "train_seconds": model.train_seconds,
            "device": model.device,
            "validation_users": metrics["users"],
            **{f"validation_{k}": v for k, v in model.metrics.items()},
        },
    )

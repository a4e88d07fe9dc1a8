"""Checks on the selected model: never publish one clearly worse than the published one."""

import dagster as dg

from assets.checking import gate_check, to_dagster
from assets.resources import GateResource, PostgresResource
from assets.reuse import ratings_dataset
from ml.recsys.models.base import Recommender
from quality import expectations as ex


@gate_check(
    "recommender_model",
    "model_not_worse_than_published",
    "Validation NDCG@10 is not worse than the published model's by more than the tolerance.",
)
def model_not_worse_than_published(
    context: dg.AssetCheckExecutionContext,
    recommender_model: Recommender,
    gate: GateResource,
    postgres: PostgresResource,
):
    current = postgres.publisher().current()
    metrics = {} if current is None else current.metrics
    return to_dagster(
        ex.not_worse_than(
            recommender_model.metrics.get("ndcg@10"),
            metrics.get("ndcg@10"),
            max_drop=gate.max_ndcg_drop,
            forced=gate.force_publish,
            datasets=(ratings_dataset(context), metrics.get("dataset")),
        )
    )

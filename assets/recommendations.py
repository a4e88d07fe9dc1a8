"""Recommendations: per-user top-N lists with the reason each title is there.

Scoring every user is one step by default. ``scoring_assets(n)`` splits it into ``n`` bucket
assets, one contiguous block of users each, joined by ``user_recommendations``: the
multiprocess executor runs the buckets side by side, and the k8s and celery executors each
in its own pod or worker (``CINE_SCORING_BUCKETS``, ``pipelines.definitions``). ``k`` and the
liked threshold live in one place, ``recommendation_settings``, which every bucket reads.
"""

import json
import time

import dagster as dg
import numpy as np
import polars as pl
from pydantic import Field

from assets.resources import CineHome
from assets.reuse import previous_output, source_version
from ml.recsys.interactions import Interactions
from ml.recsys.metrics import catalogue_coverage
from ml.recsys.models.base import Recommender
from ml.recsys.recommend import recommend_with_reasons, with_reason_text

#: Code version of these assets: their source and the ml modules they import.
CODE = source_version(__name__)
GROUP = "recommendations"
#: Buckets of users scored as separate steps (default 1: one step).
SCORING_BUCKETS_ENV = "CINE_SCORING_BUCKETS"


class RecommendationsConfig(dg.Config):
    k: int = Field(default=20, description="Recommendations per user.")
    liked_threshold: float = Field(
        default=4.0, description="A rating at or above this counts as 'liked' in explanations."
    )


@dg.asset(group_name=GROUP, code_version=CODE)
def recommendation_settings(config: RecommendationsConfig) -> dg.Output[dict]:
    """How long each user's list is and what counts as liked: read by every scoring step.

    Its data version is its content, so a changed ``k`` recomputes the lists and an unchanged
    one lets them be reused.
    """
    settings = {"k": config.k, "liked_threshold": config.liked_threshold}
    if config.k < 1:
        raise ValueError(f"recommendation_settings: k must be at least 1, got {config.k}")
    return dg.Output(
        settings,
        data_version=dg.DataVersion(json.dumps(settings, sort_keys=True)),
        metadata=settings,
    )


def bucket_rows(n_users: int, index: int, buckets: int) -> np.ndarray:
    """Rows of bucket ``index`` (0-based) of ``buckets``: contiguous blocks, sizes within one."""
    return np.array_split(np.arange(n_users), buckets)[index]


def _score(
    context: dg.AssetExecutionContext,
    interactions: Interactions,
    model: Recommender,
    settings: dict,
    rows: np.ndarray | None,
) -> pl.DataFrame:
    started = time.perf_counter()
    recs = recommend_with_reasons(
        model, interactions, k=settings["k"], liked_threshold=settings["liked_threshold"], rows=rows
    )
    users = interactions.shape[0] if rows is None else len(rows)
    seconds = time.perf_counter() - started
    context.log.info(
        f"scored {users:,} users with {model.name} in {seconds:.1f}s "
        f"({users / max(seconds, 1e-9):,.0f} users/s)"
    )
    return recs


def _served(
    recs: pl.DataFrame, movies: pl.DataFrame, interactions: Interactions, settings: dict, model: str
) -> dg.Output[pl.DataFrame]:
    """The published lists (reason text added) and their metadata."""
    recs = with_reason_text(recs, movies)
    n_items = interactions.shape[1]
    return dg.Output(
        recs,
        metadata={
            "dagster/row_count": recs.height,
            "users": recs["user_id"].n_unique(),
            "k": settings["k"],
            "model": model,
            "catalogue_coverage": catalogue_coverage(
                interactions.item_index(recs["item_id"].to_numpy()), n_items
            ),
            "preview": dg.MetadataValue.md(
                recs.head(10)
                .select("user_id", "rank", "title", "score", "reason")
                .to_pandas()
                .to_markdown(index=False)
            ),
        },
    )


@dg.asset(name="user_recommendations", group_name=GROUP, code_version=CODE)
def user_recommendations(
    context: dg.AssetExecutionContext,
    user_item_matrix: Interactions,
    recommender_model: Recommender,
    movies: pl.DataFrame,
    recommendation_settings: dict,
    home: CineHome,
) -> dg.Output[pl.DataFrame]:
    """Top-N unseen movies per user from the selected model, each with the liked movie behind it."""
    if (reused := previous_output(context, home)) is not None:
        return reused
    recs = _score(context, user_item_matrix, recommender_model, recommendation_settings, None)
    return _served(recs, movies, user_item_matrix, recommendation_settings, recommender_model.name)


def _bucket_name(index: int, buckets: int) -> str:
    return f"user_recommendations_bucket_{index + 1}_of_{buckets}"


def _bucket_asset(index: int, buckets: int) -> dg.AssetsDefinition:
    @dg.asset(
        name=_bucket_name(index, buckets),
        group_name=GROUP,
        code_version=CODE,
        description=f"Lists of bucket {index + 1} of {buckets} of the users (contiguous rows).",
    )
    def bucket(
        context: dg.AssetExecutionContext,
        user_item_matrix: Interactions,
        recommender_model: Recommender,
        recommendation_settings: dict,
        home: CineHome,
    ) -> dg.Output[pl.DataFrame]:
        if (reused := previous_output(context, home)) is not None:
            return reused
        rows = bucket_rows(user_item_matrix.shape[0], index, buckets)
        recs = _score(context, user_item_matrix, recommender_model, recommendation_settings, rows)
        return dg.Output(
            recs,
            metadata={
                "dagster/row_count": recs.height,
                "users": len(rows),
                "bucket": f"{index + 1} of {buckets}",
                "model": recommender_model.name,
            },
        )

    return bucket


def _joined_asset(buckets: int) -> dg.AssetsDefinition:
    ins = {f"bucket_{i + 1}": dg.AssetIn(_bucket_name(i, buckets)) for i in range(buckets)}

    @dg.asset(
        name="user_recommendations",
        group_name=GROUP,
        code_version=CODE,
        ins=ins,
        description="Top-N unseen movies per user from the selected model, each with the liked "
        f"movie behind it: the {buckets} scoring buckets joined.",
    )
    def joined(
        context: dg.AssetExecutionContext,
        user_item_matrix: Interactions,
        movies: pl.DataFrame,
        model_selection: dict,
        recommendation_settings: dict,
        home: CineHome,
        **parts: pl.DataFrame,
    ) -> dg.Output[pl.DataFrame]:
        if (reused := previous_output(context, home)) is not None:
            return reused
        recs = pl.concat([parts[f"bucket_{i + 1}"] for i in range(buckets)])
        if recs["user_id"].n_unique() != user_item_matrix.shape[0]:
            raise ValueError(
                f"the {buckets} buckets hold {recs['user_id'].n_unique():,} users; the matrix "
                f"has {user_item_matrix.shape[0]:,}: a bucket is from another matrix"
            )
        return _served(
            recs, movies, user_item_matrix, recommendation_settings, model_selection["model"]
        )

    return joined


def scoring_assets(buckets: int = 1) -> list[dg.AssetsDefinition]:
    """``user_recommendations`` as one step (``buckets`` 1) or ``buckets`` steps and a join."""
    if buckets < 1:
        raise ValueError(f"{SCORING_BUCKETS_ENV} must be at least 1, got {buckets}")
    if buckets == 1:
        return [user_recommendations]
    return [*(_bucket_asset(i, buckets) for i in range(buckets)), _joined_asset(buckets)]

"""Checks on the served lists: complete, nothing seen, every reason true."""

import dagster as dg
import polars as pl

from assets.checking import gate_check, to_dagster
from quality import recommendations as rx
from quality.result import CheckResult


def _recs_k(context: dg.AssetCheckExecutionContext) -> int:
    event = context.instance.get_latest_materialization_event(dg.AssetKey("user_recommendations"))
    return int(event.asset_materialization.metadata["k"].value)


@gate_check(
    "user_recommendations",
    "recommendations_complete",
    "Every user has exactly k recommendations ranked 1..k.",
    ins=["ratings"],
)
def recommendations_complete(
    context: dg.AssetCheckExecutionContext,
    user_recommendations: pl.DataFrame,
    ratings: pl.DataFrame,
):
    return to_dagster(rx.complete_lists(user_recommendations, ratings, _recs_k(context)))


@gate_check(
    "user_recommendations",
    "recommendations_exclude_seen",
    "No user is recommended a movie they already rated, nor the same movie twice.",
    ins=["ratings"],
)
def recommendations_exclude_seen(user_recommendations: pl.DataFrame, ratings: pl.DataFrame):
    seen = rx.excludes_seen(user_recommendations, ratings)
    dup = rx.no_duplicate_items(user_recommendations)
    details = {**seen.details, "duplicate_items": dup.value}
    return to_dagster(CheckResult(seen.passed and dup.passed, seen.value, seen.threshold, details))


@gate_check(
    "user_recommendations",
    "recommendations_explained",
    "Every recommendation's reason cites a movie the user really rated.",
    ins=["ratings"],
)
def recommendations_explained(user_recommendations: pl.DataFrame, ratings: pl.DataFrame):
    return to_dagster(rx.explained(user_recommendations, ratings, liked_threshold=4.0))

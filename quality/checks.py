"""Dagster asset checks built from the pure expectations; all of them gate publishing."""

import dagster as dg
import polars as pl
from pydantic import Field

from ml.models.base import Recommender
from pipelines.resources import PostgresResource
from quality import expectations as ex
from quality import recommendations as rx


class QualityGate(dg.ConfigurableResource):
    """Thresholds of the checks that gate every run."""

    max_quarantine_share: float = Field(
        default=0.01, description="Largest share of a table's rows that may go to quarantine."
    )
    min_rating: float = Field(default=0.5, description="Lowest valid rating.")
    max_rating: float = Field(default=5.0, description="Highest valid rating.")
    min_year: int = Field(default=1874, description="Earliest plausible release year.")
    max_year: int = Field(default=2100, description="Latest plausible release year.")
    max_ndcg_drop: float = Field(
        default=0.02,
        description="Largest drop in validation NDCG@10 against the published model that "
        "may still be published.",
    )
    force_publish: bool = Field(
        default=False, description="Publish even when the model is worse than the published one."
    )


def _result(outcome: ex.CheckResult) -> dg.AssetCheckResult:
    passed, metadata = outcome
    return dg.AssetCheckResult(
        passed=passed, metadata=metadata, severity=dg.AssetCheckSeverity.ERROR
    )


def _check(asset: str, name: str, description: str, **kwargs):
    return dg.asset_check(asset=asset, name=name, description=description, blocking=True, **kwargs)


@_check("ratings", "ratings_schema", "Columns and dtypes match the interactions contract.")
def ratings_schema(ratings: pl.DataFrame) -> dg.AssetCheckResult:
    return _result(ex.schema_matches(ratings, ex.RATINGS_COLUMNS))


@_check("ratings", "ratings_not_empty", "At least one rating was accepted.")
def ratings_not_empty(ratings: pl.DataFrame) -> dg.AssetCheckResult:
    return _result(ex.not_empty(ratings))


@_check("ratings", "ratings_in_range", "Every rating lies on the configured scale, none null.")
def ratings_in_range(ratings: pl.DataFrame, gate: QualityGate) -> dg.AssetCheckResult:
    passed, meta = ex.values_between(ratings, "rating", gate.min_rating, gate.max_rating)
    null_ok, null_meta = ex.no_nulls(ratings, ["user_id", "item_id", "rating", "timestamp"])
    return _result((passed and null_ok, {**meta, "nulls": null_meta["nulls"]}))


@_check("ratings", "ratings_unique", "No duplicate (user, movie, timestamp) rows.")
def ratings_unique(ratings: pl.DataFrame) -> dg.AssetCheckResult:
    return _result(ex.unique(ratings, ["user_id", "item_id", "timestamp"]))


@_check(
    "ratings",
    "ratings_reference_movies",
    "Every rated movie exists in movies (referential integrity).",
    additional_ins={"movies": dg.AssetIn("movies")},
)
def ratings_reference_movies(ratings: pl.DataFrame, movies: pl.DataFrame) -> dg.AssetCheckResult:
    return _result(ex.references(ratings, "item_id", movies["item_id"]))


@_check(
    "ratings",
    "ratings_quarantine_share",
    "Share of rating rows quarantined stays under the configured maximum.",
    additional_ins={"quarantine": dg.AssetIn("quarantine")},
)
def ratings_quarantine_share(
    ratings: pl.DataFrame, quarantine: pl.DataFrame, gate: QualityGate
) -> dg.AssetCheckResult:
    return _result(
        ex.quarantine_share(
            quarantine, ratings.height, "ratings", max_share=gate.max_quarantine_share
        )
    )


@_check("movies", "movies_schema", "Columns and dtypes match the movies contract.")
def movies_schema(movies: pl.DataFrame) -> dg.AssetCheckResult:
    return _result(ex.schema_matches(movies, ex.MOVIES_COLUMNS))


@_check("movies", "movies_valid", "Movies exist, ids are unique, titles present, years plausible.")
def movies_valid(movies: pl.DataFrame, gate: QualityGate) -> dg.AssetCheckResult:
    ok_rows, rows = ex.not_empty(movies)
    ok_ids, ids = ex.unique(movies, ["item_id"])
    ok_nulls, nulls = ex.no_nulls(movies, ["item_id", "title"])
    ok_year, years = ex.values_between(
        movies.filter(pl.col("year").is_not_null()), "year", gate.min_year, gate.max_year
    )
    return _result(
        (
            ok_rows and ok_ids and ok_nulls and ok_year,
            {
                "value": ids["value"] + nulls["value"] + years["value"],
                "threshold": "0 duplicate ids, null titles or implausible years; >= 1 movie",
                "rows": rows["value"],
                "duplicate_ids": ids["value"],
                "null_ids_or_titles": nulls["value"],
                "implausible_years": years["value"],
            },
        )
    )


@_check(
    "movies",
    "movies_quarantine_share",
    "Share of movie rows quarantined stays under the configured maximum.",
    additional_ins={"quarantine": dg.AssetIn("quarantine")},
)
def movies_quarantine_share(
    movies: pl.DataFrame, quarantine: pl.DataFrame, gate: QualityGate
) -> dg.AssetCheckResult:
    return _result(
        ex.quarantine_share(
            quarantine, movies.height, "movies", max_share=gate.max_quarantine_share
        )
    )


def _recs_k(context: dg.AssetCheckExecutionContext) -> int:
    event = context.instance.get_latest_materialization_event(dg.AssetKey("user_recommendations"))
    return int(event.asset_materialization.metadata["k"].value)


@_check(
    "user_recommendations",
    "recommendations_complete",
    "Every user has exactly k recommendations ranked 1..k.",
    additional_ins={"ratings": dg.AssetIn("ratings")},
)
def recommendations_complete(
    context: dg.AssetCheckExecutionContext,
    user_recommendations: pl.DataFrame,
    ratings: pl.DataFrame,
) -> dg.AssetCheckResult:
    return _result(rx.complete_lists(user_recommendations, ratings, _recs_k(context)))


@_check(
    "user_recommendations",
    "recommendations_exclude_seen",
    "No user is recommended a movie they already rated, nor the same movie twice.",
    additional_ins={"ratings": dg.AssetIn("ratings")},
)
def recommendations_exclude_seen(
    user_recommendations: pl.DataFrame, ratings: pl.DataFrame
) -> dg.AssetCheckResult:
    ok_seen, seen = rx.excludes_seen(user_recommendations, ratings)
    ok_dup, dup = rx.no_duplicate_items(user_recommendations)
    return _result((ok_seen and ok_dup, {**seen, "duplicate_items": dup["value"]}))


@_check(
    "user_recommendations",
    "recommendations_explained",
    "Every recommendation's reason cites a movie the user really rated.",
    additional_ins={"ratings": dg.AssetIn("ratings")},
)
def recommendations_explained(
    user_recommendations: pl.DataFrame, ratings: pl.DataFrame
) -> dg.AssetCheckResult:
    return _result(rx.explained(user_recommendations, ratings, liked_threshold=4.0))


@_check(
    "recommender_model",
    "model_not_worse_than_published",
    "Validation NDCG@10 is not worse than the published model's by more than the tolerance.",
)
def model_not_worse_than_published(
    recommender_model: Recommender, gate: QualityGate, postgres: PostgresResource
) -> dg.AssetCheckResult:
    current = postgres.publisher().current()
    published = None if current is None else current.metrics.get("ndcg@10")
    return _result(
        ex.not_worse_than(
            recommender_model.metrics.get("ndcg@10"),
            published,
            max_drop=gate.max_ndcg_drop,
            forced=gate.force_publish,
        )
    )


ALL_CHECKS = [
    ratings_schema,
    ratings_not_empty,
    ratings_in_range,
    ratings_unique,
    ratings_reference_movies,
    ratings_quarantine_share,
    movies_schema,
    movies_valid,
    movies_quarantine_share,
    recommendations_complete,
    recommendations_exclude_seen,
    recommendations_explained,
    model_not_worse_than_published,
]

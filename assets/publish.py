"""Publish: load the gated outputs into PostgreSQL as a new version, atomically."""

import dagster as dg
import polars as pl

from ml.models.base import Recommender
from pipelines.resources import PostgresResource

PUBLISHED_COLUMNS = {
    "movies": ["item_id", "title", "year", "genres"],
    "user_recommendations": [
        "user_id",
        "rank",
        "item_id",
        "score",
        "because_item_id",
        "because_similarity",
        "reason",
    ],
}


@dg.asset(group_name="publish")
def published_version(
    context: dg.AssetExecutionContext,
    postgres: PostgresResource,
    user_recommendations: pl.DataFrame,
    movies: pl.DataFrame,
    recommender_model: Recommender,
) -> dg.Output[dict]:
    """The Postgres version the reader views now show; runs only when every check passed."""
    tables = {
        "movies": movies.select(PUBLISHED_COLUMNS["movies"]),
        "user_recommendations": user_recommendations.select(
            PUBLISHED_COLUMNS["user_recommendations"]
        ),
    }
    metrics = {"model": recommender_model.name, **recommender_model.metrics}
    version = postgres.publisher().publish(tables, run_id=context.run_id, metrics=metrics)
    url = postgres.display_url()
    context.log.info(f"published version {version.version} to {url}")
    record = {
        "version": version.version,
        "schema": version.schema_name,
        "published_at": version.published_at,
        "url": url,
        "embedded": postgres.is_embedded(),
        "row_counts": version.row_counts,
        "views": [f"cine.{name}" for name in tables],
    }
    return dg.Output(
        record,
        metadata={
            "version": version.version,
            "schema": version.schema_name,
            "published_at": version.published_at,
            "url": url,
            **{f"rows_{name}": n for name, n in version.row_counts.items()},
        },
    )

"""Publish: load the gated outputs into PostgreSQL as a new version, atomically."""

from pathlib import Path

import dagster as dg
import polars as pl

from assets.resources import CineHome, GateResource, PostgresResource
from assets.reuse import ratings_dataset
from ml.recsys.models.base import Recommender
from publish.access import PasswordStore, ensure_readers, require_passwords
from publish.releases import write_release

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
    "hybrid_recommendations": [
        "user_id",
        "rank",
        "item_id",
        "score",
        "cf_score",
        "content_score",
        "popularity_score",
        "because_item_ids",
        "because_titles",
        "because_ratings",
        "because_similarities",
        "shared_directors",
        "shared_cast",
        "shared_genres",
        "reason",
        "source",
    ],
    "content_similarity": ["item_id", "rank", "neighbour_id", "similarity", "content_version"],
    "user_personas": ["user_id", "persona_id", "persona", "description"],
    "coldstart_presets": [
        "preset",
        "kind",
        "query",
        "rank",
        "item_id",
        "title",
        "year",
        "score",
        "reason",
    ],
    "surprise_recommendations": [
        "user_id",
        "rank",
        "item_id",
        "genres",
        "usual_genres",
        "reason",
    ],
    "vibe_presets": [
        "query",
        "rank",
        "item_id",
        "title",
        "year",
        "score",
        "colour_score",
        "text_score",
        "clip_score",
        "label_score",
        "projection_score",
        "reason",
        "frame_timestamps",
        "frame_thumbnails",
    ],
    "visual_similarity": ["item_id", "rank", "neighbour_id", "similarity", "encoder"],
    "frame_styles": ["frame_id", "movie_id", "style_id", "style", "similarity", "encoder"],
    # Per tenant: each reader role sees only its tenant's rows (publish/access.py).
    "tenant_recommendations": [
        "tenant",
        "user_id",
        "rank",
        "item_id",
        "title",
        "score",
        "base_score",
        "boost",
        "because_item_ids",
        "because_titles",
        "shared_directors",
        "shared_genres",
        "reason",
    ],
    "tenant_lists": [
        "tenant",
        "user_id",
        "n_items",
        "list_length",
        "complete",
        "short_reason",
    ],
    "tenant_profiles": [
        "tenant",
        "display_name",
        "tagline",
        "primary_colour",
        "accent_colour",
        "source",
        "list_length",
        "diversity_lambda",
        "users_served",
        "filters",
        "boosts",
    ],
    "experiment_assignments": ["experiment", "user_id", "variant", "bucket"],
    "experiment_recommendations": [
        "experiment",
        "variant",
        "user_id",
        "rank",
        "item_id",
        "title",
        "score",
        "reason",
    ],
}


@dg.asset(
    group_name="publish",
    deps=["input_drift", "output_drift"],
    # A lost connection mid-load drops the half-loaded schema; trying again is safe.
    retry_policy=dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL),
)
def published_version(
    context: dg.AssetExecutionContext,
    home: CineHome,
    postgres: PostgresResource,
    gate: GateResource,
    input_profile: pl.DataFrame,
    output_profile: pl.DataFrame,
    user_recommendations: pl.DataFrame,
    movies: pl.DataFrame,
    recommender_model: Recommender,
    vibe_presets: pl.DataFrame,
    hybrid_recommendations: pl.DataFrame,
    content_similarity: pl.DataFrame,
    user_personas: pl.DataFrame,
    coldstart_presets: pl.DataFrame,
    surprise_recommendations: pl.DataFrame,
    movie_sentiment: pl.DataFrame,
    vibe_index: dict,
    visual_similarity: pl.DataFrame,
    frame_styles: pl.DataFrame,
    tenant_recommendations: pl.DataFrame,
    tenant_lists: pl.DataFrame,
    tenant_profiles: pl.DataFrame,
    experiment_assignments: pl.DataFrame,
    experiment_recommendations: pl.DataFrame,
) -> dg.Output[dict]:
    """The Postgres version the reader views now show; runs only when every check passed."""
    frames = {
        "movies": movies,
        "user_recommendations": user_recommendations,
        "vibe_presets": vibe_presets,
        "hybrid_recommendations": hybrid_recommendations,
        "content_similarity": content_similarity,
        "user_personas": user_personas,
        "coldstart_presets": coldstart_presets,
        "surprise_recommendations": surprise_recommendations,
        "visual_similarity": visual_similarity,
        "frame_styles": frame_styles,
        "tenant_recommendations": tenant_recommendations,
        "tenant_lists": tenant_lists,
        "tenant_profiles": tenant_profiles,
        "experiment_assignments": experiment_assignments,
        "experiment_recommendations": experiment_recommendations,
    }
    tables = {name: frames[name].select(cols) for name, cols in PUBLISHED_COLUMNS.items()}
    # Its columns are the DDL's in sql/tables/movie_sentiment.sql; empty when no
    # movie-linked reviews are configured, and published empty rather than stale.
    tables["movie_sentiment"] = movie_sentiment
    metrics = {"model": recommender_model.name, **recommender_model.metrics}
    # The release family the model was validated on, for the next run's comparison with it.
    if (dataset := ratings_dataset(context)) is not None:
        metrics["dataset"] = dataset
    # Whose lists hybrid_recommendations holds (its source column): the re-ranker's, or the
    # single model's when the hybrid did not beat it on validation (assets/hybrid.py).
    if "source" in hybrid_recommendations.columns and hybrid_recommendations.height:
        metrics["hybrid_recommendations_source"] = hybrid_recommendations["source"][0]
    # The LanceDB table versions served with this Postgres version.
    metrics["lancedb_table_versions"] = vibe_index.get("table_versions", {})
    # Checks pass under force_publish (their metadata says forced); the record says so too.
    reason = "forced publish (gate.force_publish)" if gate.force_publish else "pipeline run"
    publisher = postgres.publisher()
    publisher.ensure_schema()
    # Reader roles (passwords under <home>/secrets, never logged) before the swap grants them.
    with publisher.connect() as conn:
        readers = ensure_readers(
            conn, tenant_profiles["tenant"].to_list(), PasswordStore(home.folder("secrets"))
        )
        if postgres.is_embedded():
            require_passwords(home.root / "postgres" / "data", conn)
    version = publisher.publish(tables, run_id=context.run_id, metrics=metrics, reason=reason)
    url = postgres.display_url()
    # The drift profiles go to the Parquet release only: the next run compares against them.
    profiles = {"input_profile": input_profile, "output_profile": output_profile}
    release = write_release(
        home.folder("published"),
        version.version,
        {**tables, **profiles},
        folders={"lancedb": Path(vibe_index["path"])},
        documents={"vibe_index": {**vibe_index, "path": None}},
    )
    context.log.info(f"published version {version.version} to {url} and {release}")
    record = {
        "version": version.version,
        "schema": version.schema_name,
        "published_at": version.published_at,
        "url": url,
        "embedded": postgres.is_embedded(),
        "reason": reason,
        "row_counts": version.row_counts,
        "views": [f"cine.{name}" for name in tables],
        "reader_roles": readers.roles(),
        "parquet": str(release),
        "lancedb": str(release / "lancedb"),
    }
    return dg.Output(
        record,
        metadata={
            "version": version.version,
            "schema": version.schema_name,
            "published_at": version.published_at,
            "url": url,
            "parquet": dg.MetadataValue.path(str(release)),
            **{f"rows_{name}": n for name, n in version.row_counts.items()},
        },
    )

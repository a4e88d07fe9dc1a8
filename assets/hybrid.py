"""Hybrid recommendations: learned re-ranker, MMR lists with explanations, surprise, personas."""

import dagster as dg
import numpy as np
import polars as pl
from pydantic import Field

from assets.resources import CineHome
from assets.reuse import previous_output, source_version
from ml.content.embeddings import ContentEmbeddings, decay_matrix, user_profiles
from ml.hybrid.ablation import run_ablation
from ml.hybrid.explain import explain, with_review_clause
from ml.hybrid.personas import build_personas
from ml.hybrid.ranking import (
    FEATURES,
    HybridParams,
    HybridRanker,
    ItemSide,
    fit_hybrid,
    rank,
)
from ml.hybrid.ranking import context as ranking_context
from ml.hybrid.surprise import surprise as surprise_lists
from ml.recsys.interactions import Interactions
from ml.recsys.models.base import Recommender

GROUP = "recommendations"
#: Code version of these assets: their source and the ml modules they import.
CODE = source_version(__name__)


class HybridConfig(dg.Config):
    half_life_days: float = Field(default=365.0, description="Taste-drift half-life of profiles.")
    n_cf: int = Field(default=100, description="Candidates from the CF model per user.")
    n_content: int = Field(default=50, description="Candidates by content similarity.")
    n_popular: int = Field(default=30, description="Candidates by popularity.")
    seed: int = Field(default=42, description="Seed of the validation split and the models.")


class HybridListConfig(dg.Config):
    k: int = Field(default=20, description="Recommendations per user.")
    mmr_lambda: float = Field(default=0.7, description="MMR trade-off; 1 = relevance only.")
    liked_threshold: float = Field(default=4.0, description="Ratings at or above count as liked.")


class SurpriseConfig(dg.Config):
    k: int = Field(default=10, description="Surprise titles per user.")
    min_popularity: float = Field(default=0.2, description="Log-popularity floor (0..1).")


class PersonaConfig(dg.Config):
    clusters: int = Field(default=6, description="Number of personas (k-means k).")
    seed: int = Field(default=42, description="k-means seed.")


class AblationConfig(dg.Config):
    mmr_lambda: float = Field(default=0.7, description="λ of the MMR variant.")
    tuning_budget: float = Field(default=60.0, description="Seconds to pick the best single.")


@dg.asset(group_name=GROUP, code_version=CODE)
def hybrid_ranker(
    context: dg.AssetExecutionContext,
    ratings: pl.DataFrame,
    model_selection: dict,
    content_embeddings: ContentEmbeddings,
    movies: pl.DataFrame,
    movie_sentiment: pl.DataFrame,
    config: HybridConfig,
    home: CineHome,
) -> dg.Output[HybridRanker]:
    """Re-ranker weights over CF, content, popularity, recency, learned on a validation split."""
    if (reused := previous_output(context, home)) is not None:
        return reused
    params = HybridParams(config.n_cf, config.n_content, config.n_popular, config.half_life_days)
    ranker = fit_hybrid(
        ratings,
        model_selection["model"],
        model_selection["params"],
        content_embeddings,
        movies,
        sentiment=movie_sentiment,
        params=params,
        seed=config.seed,
    )
    context.log.info(f"hybrid weights {ranker.weights()}")
    return dg.Output(
        ranker,
        metadata={
            "base_model": ranker.base_model,
            "weights": dg.MetadataValue.json(ranker.weights()),
            **{f"validation_{k}": v for k, v in ranker.validation.items()},
        },
    )


@dg.asset(group_name=GROUP, code_version=CODE)
def hybrid_recommendations(
    context: dg.AssetExecutionContext,
    user_item_matrix: Interactions,
    ratings: pl.DataFrame,
    recommender_model: Recommender,
    hybrid_ranker: HybridRanker,
    content_embeddings: ContentEmbeddings,
    movie_metadata: pl.DataFrame,
    movie_sentiment: pl.DataFrame,
    config: HybridListConfig,
    home: CineHome,
) -> dg.Output[pl.DataFrame]:
    """Final top-N per user (hybrid + MMR), each with a structured reason and a true sentence."""
    if (reused := previous_output(context, home)) is not None:
        return reused
    side = ItemSide.build(user_item_matrix, content_embeddings, movie_metadata, movie_sentiment)
    ctx = ranking_context(recommender_model, user_item_matrix, ratings, side, hybrid_ranker)
    items, comp = rank(hybrid_ranker, ctx, k=config.k, mmr_lambda=config.mmr_lambda)
    valid = items >= 0
    n_users, k = items.shape
    recs = pl.DataFrame(
        {
            "user_id": np.repeat(user_item_matrix.user_ids, k)[valid.ravel()],
            "rank": np.tile(np.arange(1, k + 1, dtype=np.int32), n_users)[valid.ravel()],
            "item_id": user_item_matrix.item_ids[items[valid]],
            "score": comp["score"][valid],
            "cf_score": comp["cf"][valid],
            "content_score": comp["content"][valid],
            "popularity_score": comp["popularity"][valid],
        }
    )
    recs = explain(
        recs,
        ratings,
        movie_metadata,
        content_embeddings,
        model=recommender_model,
        item_ids=user_item_matrix.item_ids,
        liked_threshold=config.liked_threshold,
    )
    recs = with_review_clause(
        recs, movie_sentiment, sentiment_weight=hybrid_ranker.weights().get("sentiment", 0.0)
    )
    return dg.Output(
        recs,
        metadata={
            "dagster/row_count": recs.height,
            "users": recs["user_id"].n_unique(),
            "mmr_lambda": config.mmr_lambda,
            "features": dg.MetadataValue.json(list(FEATURES)),
            "preview": dg.MetadataValue.md(
                recs.head(10)
                .select("user_id", "rank", "item_id", "reason")
                .to_pandas()
                .to_markdown()
            ),
        },
    )


@dg.asset(group_name=GROUP, code_version=CODE)
def surprise_recommendations(
    context: dg.AssetExecutionContext,
    user_item_matrix: Interactions,
    ratings: pl.DataFrame,
    recommender_model: Recommender,
    hybrid_ranker: HybridRanker,
    content_embeddings: ContentEmbeddings,
    movie_metadata: pl.DataFrame,
    config: SurpriseConfig,
    home: CineHome,
) -> dg.Output[pl.DataFrame]:
    """'Surprise me': the best-scored known films outside each user's usual genres."""
    if (reused := previous_output(context, home)) is not None:
        return reused
    side = ItemSide.build(user_item_matrix, content_embeddings, movie_metadata)
    ctx = ranking_context(recommender_model, user_item_matrix, ratings, side, hybrid_ranker)
    items, usual = surprise_lists(
        hybrid_ranker, ctx, k=config.k, min_popularity=config.min_popularity
    )
    rows = []
    for u, user in enumerate(user_item_matrix.user_ids):
        for r, i in enumerate(items[u][items[u] >= 0], start=1):
            genres = side.genres[i]
            rows.append(
                (
                    int(user),
                    r,
                    int(user_item_matrix.item_ids[i]),
                    genres,
                    usual[u],
                    f"Outside your usual {', '.join(usual[u])}: a {'/'.join(genres)} film",
                )
            )
    schema = {
        "user_id": pl.Int64,
        "rank": pl.Int32,
        "item_id": pl.Int64,
        "genres": pl.List(pl.String),
        "usual_genres": pl.List(pl.String),
        "reason": pl.String,
    }
    table = pl.DataFrame(rows, schema=schema, orient="row")
    return dg.Output(
        table,
        metadata={"dagster/row_count": table.height, "users": table["user_id"].n_unique()},
    )


@dg.asset(group_name=GROUP, code_version=CODE)
def user_personas(
    context: dg.AssetExecutionContext,
    user_item_matrix: Interactions,
    ratings: pl.DataFrame,
    content_embeddings: ContentEmbeddings,
    movies: pl.DataFrame,
    hybrid_ranker: HybridRanker,
    config: PersonaConfig,
    home: CineHome,
) -> dg.Output[pl.DataFrame]:
    """A named persona per user: k-means on time-decayed content taste profiles."""
    if (reused := previous_output(context, home)) is not None:
        return reused
    weights = decay_matrix(
        ratings,
        user_item_matrix.user_ids,
        user_item_matrix.item_ids,
        half_life_days=hybrid_ranker.params.half_life_days,
    )
    profiles = user_profiles(weights, content_embeddings.aligned(user_item_matrix.item_ids))
    personas = build_personas(
        user_item_matrix.user_ids, profiles, ratings, movies, k=config.clusters, seed=config.seed
    )
    context.log.info(f"personas: {personas.clusters['persona'].to_list()}")
    return dg.Output(
        personas.users,
        metadata={
            "dagster/row_count": personas.users.height,
            "silhouette": personas.silhouette,
            "personas": dg.MetadataValue.md(
                personas.clusters.select("persona", "users", "description")
                .to_pandas()
                .to_markdown(index=False)
            ),
        },
    )


@dg.asset(group_name=GROUP, code_version=CODE)
def ranking_ablation(
    context: dg.AssetExecutionContext,
    ratings: pl.DataFrame,
    content_embeddings: ContentEmbeddings,
    movies: pl.DataFrame,
    config: AblationConfig,
    home: CineHome,
) -> dg.Output[pl.DataFrame]:
    """ALS vs best single model vs hybrid vs hybrid + MMR on a held-out split."""
    if (reused := previous_output(context, home)) is not None:
        return reused
    table, info = run_ablation(
        ratings,
        content_embeddings,
        movies,
        tuning_budget=config.tuning_budget,
        mmr_lambda=config.mmr_lambda,
    )
    return dg.Output(
        table,
        metadata={
            "dagster/row_count": table.height,
            "best_single": info["best_single"],
            "weights": dg.MetadataValue.json(info["weights"]),
            "table": dg.MetadataValue.md(
                table.to_pandas().to_markdown(index=False, floatfmt=".4f")
            ),
        },
    )

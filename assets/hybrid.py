"""Hybrid recommendations: learned re-ranker, MMR lists with explanations, surprise, personas."""

import dagster as dg
import numpy as np
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
from ml.content.embeddings import ContentEmbeddings, decay_matrix, user_profiles
from ml.hybrid.ablation import SINGLE_MODELS, run_ablation
from ml.hybrid.explain import explain, with_review_clause
from ml.hybrid.personas import build_personas
from ml.hybrid.ranking import (
    FEATURE_MODELS,
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
    extra_models: list[str] = Field(
        default=list(HybridParams.extra_models),
        description="CF models whose scores are features and whose top items are candidates; "
        f"available: {', '.join(FEATURE_MODELS)} (sasrec, lightgcn, neumf take minutes on CPU).",
    )
    n_extra: int = Field(default=HybridParams.n_extra, description="Candidates per extra model.")
    protocol: str | None = Field(
        default=None,
        description="Validation protocol, stratified or temporal; None: model_selection's "
        "protocol (stratified when it names none).",
    )
    min_margin: float = Field(
        default=0.0, description="NDCG@10 the hybrid must gain on validation to be published."
    )
    seed: int = Field(default=42, description="Seed of the validation splits and the models.")
    validation_users: int | None = Field(
        default=10_000,
        description="Users of each validation split the weights are learned and gated on, a "
        "seeded sample (each costs a full-catalogue feature tensor); None: all of them.",
    )
    nightly_max_ratings: int = Field(
        default=NIGHTLY_MAX_RATINGS,
        description="Above this many ratings, a run of any job but `tuning` keeps the last "
        "ranker (learning it fits the selected model twice on nested splits; the weekly "
        "`tuning` job relearns it; its weights apply to the nightly models' features); 0: "
        "learn it in every run.",
    )


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
    protocols: list[str] = Field(
        default=["stratified", "temporal"], description="Split protocols, each its own table."
    )
    models: list[str] = Field(
        default=list(SINGLE_MODELS),
        description="Single models (first configurations) the best single is chosen from.",
    )


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
    """Re-ranker learned on a validation split, gated against the single model on another."""
    if (reused := previous_output(context, home)) is not None:
        return reused
    kept = kept_at_scale(context, home, ratings.height, config.nightly_max_ratings)
    if kept is not None:
        base = (kept.value.base_model, kept.value.base_params)
        if base == (model_selection["model"], dict(model_selection["params"])):
            return kept
        # Its weights were learned over another model's scores: they do not apply.
        context.log.info(
            f"hybrid_ranker: the kept ranker was learned over {base[0]} {base[1]}, not the "
            f"selected {model_selection['model']} {model_selection['params']}: relearning it"
        )
    params = HybridParams(
        config.n_cf,
        config.n_content,
        config.n_popular,
        config.half_life_days,
        extra_models=tuple(config.extra_models),
        n_extra=config.n_extra,
        min_margin=config.min_margin,
    )
    ranker = fit_hybrid(
        ratings,
        model_selection["model"],
        model_selection["params"],
        content_embeddings,
        movies,
        sentiment=movie_sentiment,
        params=params,
        seed=config.seed,
        validation_users=config.validation_users,
        protocol=config.protocol or model_selection.get("protocol") or "stratified",
    )
    v = ranker.validation
    context.log.info(f"hybrid gate: {v['decision']}; weights {ranker.weights()}")
    if "extra_models_left_out" in v:
        context.log.info(f"hybrid features: left out {v['extra_models_left_out']}")
    return dg.Output(
        ranker,
        metadata={
            **learned_on(context),
            "base_model": ranker.base_model,
            "published": ranker.source,
            "decision": v["decision"],
            "margin_ndcg@10": v["margin_ndcg@10"],
            "weights": dg.MetadataValue.json(ranker.weights()),
            **{f"validation_{k}": x for k, x in v.items() if isinstance(x, (int, float, str))},
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
    """Final top-N per user (the gate's winner + MMR), each with a reason and a true sentence."""
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
    sentiment_weight = hybrid_ranker.served_weights().get("sentiment", 0.0)
    recs = with_review_clause(recs, movie_sentiment, sentiment_weight=sentiment_weight)
    source = hybrid_ranker.source
    recs = recs.with_columns(pl.lit(source).alias("source"))
    return dg.Output(
        recs,
        metadata={
            "dagster/row_count": recs.height,
            "users": recs["user_id"].n_unique(),
            "source": source,
            "decision": hybrid_ranker.validation.get("decision", ""),
            "mmr_lambda": config.mmr_lambda,
            "features": dg.MetadataValue.json(list(hybrid_ranker.features)),
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
    """Single models vs a blend vs hybrid vs hybrid + MMR vs the gate, per split protocol."""
    if (reused := previous_output(context, home)) is not None:
        return reused
    tables, summary = [], {}
    for protocol in config.protocols:
        table, info = run_ablation(
            ratings,
            content_embeddings,
            movies,
            protocol=protocol,
            single_models=tuple(config.models),
            mmr_lambda=config.mmr_lambda,
        )
        tables.append(table)
        summary[protocol] = {
            "best_single": info["best_single"],
            "published": info["published"],
            "validation_margin": info["validation"]["margin_ndcg@10"],
            "test_margin": info["test_margin"],
        }
    table = pl.concat(tables)
    return dg.Output(
        table,
        metadata={
            "dagster/row_count": table.height,
            "gate": dg.MetadataValue.json(summary),
            "table": dg.MetadataValue.md(
                table.drop("params").to_pandas().to_markdown(index=False, floatfmt=".4f")
            ),
        },
    )

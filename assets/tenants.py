"""Tenants and A/B experiments: configs, per-tenant lists, variant lists, assignment, CTR."""

import dagster as dg
import polars as pl
from pydantic import Field

from assets.resources import CineHome, PostgresResource
from assets.reuse import frame_version, previous_output, previous_outputs, source_version
from ml.content.embeddings import ContentEmbeddings
from ml.experiments import events as ev
from ml.experiments.assign import assign
from ml.experiments.config import load_experiments
from ml.experiments.offline import compare_variants, variant_spec
from ml.experiments.profiles import configs_of, experiments_frame
from ml.hybrid.ranking import HybridRanker
from ml.recsys.interactions import Interactions
from ml.recsys.models.base import Recommender
from ml.tenants import facts as tf
from ml.tenants.build import scorer_for, tenant_lists, variant_lists
from ml.tenants.config import load_tenants
from ml.tenants.profiles import profiles_frame, tenants_of
from publish.events import read_events

GROUP = "tenants"
#: Code version of these assets: their source and the ml modules they import.
CODE = source_version(__name__)
LIST_COLUMNS = ["user_id", "rank", "item_id", "title", "score", "reason"]


class TenantsConfig(dg.Config):
    folder: str = Field(default="", description="Tenant YAML folder; empty = the repo's tenants/.")


class TenantListConfig(dg.Config):
    pool: int = Field(default=100, description="Best titles per user that MMR chooses from.")


class ExperimentsConfig(dg.Config):
    folder: str = Field(default="", description="Experiment YAML folder; empty = experiments/.")


class ComparisonConfig(dg.Config):
    n_boot: int = Field(default=300, description="Bootstrap resamples of users.")
    seed: int = Field(default=42, description="Seed of the held-out split and the bootstrap.")


@dg.asset(group_name=GROUP, code_version=CODE)
def tenant_profiles(config: TenantsConfig) -> dg.Output[pl.DataFrame]:
    """Every tenant's validated config with its branding, one row per tenant."""
    profiles = profiles_frame(load_tenants(config.folder or None))
    return dg.Output(
        profiles,
        data_version=frame_version(profiles),
        metadata={"tenants": ", ".join(profiles["tenant"])},
    )


@dg.asset(group_name=GROUP, code_version=CODE)
def movie_facts(
    context: dg.AssetExecutionContext,
    home: CineHome,
    movie_metadata: pl.DataFrame,
    ratings: pl.DataFrame,
) -> dg.Output[pl.DataFrame]:
    """Per movie: age rating, awards, Metacritic, language, countries, number of ratings."""
    if (reused := previous_output(context, home)) is not None:
        return reused
    facts = tf.movie_facts(movie_metadata, ratings, tf.read_omdb_extras())
    known = int(facts["age_rating"].is_not_null().sum())
    return dg.Output(
        facts,
        metadata={"dagster/row_count": facts.height, "with_age_rating": known},
    )


@dg.multi_asset(
    group_name=GROUP,
    code_version=CODE,
    outs={
        "tenant_recommendations": dg.AssetOut(description="Each tenant's list per served user."),
        "tenant_lists": dg.AssetOut(description="Per tenant and user: complete, or why short."),
    },
)
def tenant_recommendations(
    context: dg.AssetExecutionContext,
    home: CineHome,
    tenant_profiles: pl.DataFrame,
    movie_facts: pl.DataFrame,
    user_item_matrix: Interactions,
    ratings: pl.DataFrame,
    recommender_model: Recommender,
    hybrid_ranker: HybridRanker,
    content_embeddings: ContentEmbeddings,
    movie_metadata: pl.DataFrame,
    movie_sentiment: pl.DataFrame,
    config: TenantListConfig,
):
    """Per-tenant lists from the shared scores: filtered, boosted, MMR-diversified, explained."""
    if (reused := previous_outputs(context, home)) is not None:
        yield from reused
        return
    scorer = scorer_for(
        recommender_model,
        user_item_matrix,
        ratings,
        hybrid_ranker,
        content_embeddings,
        movie_metadata,
        movie_sentiment,
    )
    lists, status = tenant_lists(
        scorer,
        tenants_of(tenant_profiles),
        movie_facts,
        interactions=user_item_matrix,
        ratings=ratings,
        metadata=movie_metadata,
        emb=content_embeddings,
        model=recommender_model,
        pool=config.pool,
    )
    short = status.filter(~pl.col("complete")).group_by("tenant").len()
    yield dg.Output(
        lists, output_name="tenant_recommendations", metadata={"dagster/row_count": lists.height}
    )
    yield dg.Output(
        status,
        output_name="tenant_lists",
        metadata={
            "dagster/row_count": status.height,
            "short_lists": dg.MetadataValue.json(dict(short.iter_rows())),
        },
    )


@dg.asset(group_name=GROUP, code_version=CODE)
def experiment_configs(config: ExperimentsConfig) -> dg.Output[pl.DataFrame]:
    """Every experiment's validated config: one row per variant (traffic, weights, λ, k)."""
    table = experiments_frame(load_experiments(config.folder or None))
    return dg.Output(
        table,
        data_version=frame_version(table),
        metadata={"experiments": ", ".join(table["experiment"].unique())},
    )


@dg.asset(group_name=GROUP, code_version=CODE)
def experiment_assignments(
    context: dg.AssetExecutionContext,
    home: CineHome,
    experiment_configs: pl.DataFrame,
    user_item_matrix: Interactions,
) -> dg.Output[pl.DataFrame]:
    """Each user's variant in each experiment, by salted hash (stable across runs)."""
    if (reused := previous_output(context, home)) is not None:
        return reused
    frames = [assign(user_item_matrix.user_ids, e) for e in configs_of(experiment_configs)]
    table = pl.concat(frames) if frames else pl.DataFrame()
    shares = table.group_by("experiment", "variant").len().sort("experiment", "variant")
    return dg.Output(
        table,
        metadata={
            "dagster/row_count": table.height,
            "users_per_variant": dg.MetadataValue.md(shares.to_pandas().to_markdown(index=False)),
        },
    )


@dg.asset(group_name=GROUP, code_version=CODE)
def experiment_recommendations(
    context: dg.AssetExecutionContext,
    home: CineHome,
    experiment_configs: pl.DataFrame,
    user_item_matrix: Interactions,
    ratings: pl.DataFrame,
    recommender_model: Recommender,
    hybrid_ranker: HybridRanker,
    content_embeddings: ContentEmbeddings,
    movie_metadata: pl.DataFrame,
    movie_sentiment: pl.DataFrame,
) -> dg.Output[pl.DataFrame]:
    """Every variant's list for every user, precomputed, with explanations."""
    if (reused := previous_output(context, home)) is not None:
        return reused
    scorer = scorer_for(
        recommender_model,
        user_item_matrix,
        ratings,
        hybrid_ranker,
        content_embeddings,
        movie_metadata,
        movie_sentiment,
    )
    n_users, n_items = len(user_item_matrix.user_ids), len(user_item_matrix.item_ids)
    frames = []
    for exp in configs_of(experiment_configs):
        specs = {v.name: variant_spec(v, n_items, n_users) for v in exp.variants}
        lists = variant_lists(
            scorer,
            specs,
            interactions=user_item_matrix,
            ratings=ratings,
            metadata=movie_metadata,
            emb=content_embeddings,
            model=recommender_model,
        )
        frames.append(
            lists.select(
                pl.lit(exp.name).alias("experiment"), pl.col("list").alias("variant"), *LIST_COLUMNS
            )
        )
    table = pl.concat(frames)
    return dg.Output(table, metadata={"dagster/row_count": table.height})


@dg.asset(group_name=GROUP, code_version=CODE)
def experiment_comparison(
    context: dg.AssetExecutionContext,
    home: CineHome,
    experiment_configs: pl.DataFrame,
    ratings: pl.DataFrame,
    movies: pl.DataFrame,
    content_embeddings: ContentEmbeddings,
    model_selection: dict,
    hybrid_ranker: HybridRanker,
    config: ComparisonConfig,
) -> dg.Output[pl.DataFrame]:
    """Offline comparison of every variant on a held-out split, with bootstrap intervals."""
    if (reused := previous_output(context, home)) is not None:
        return reused
    tables = [
        compare_variants(
            ratings,
            movies,
            content_embeddings,
            exp,
            base_model=model_selection["model"],
            base_params=model_selection["params"],
            params=hybrid_ranker.params,
            n_boot=config.n_boot,
            seed=config.seed,
        )
        for exp in configs_of(experiment_configs)
    ]
    table = pl.concat(tables)
    return dg.Output(
        table,
        metadata={
            "table": dg.MetadataValue.md(table.to_pandas().to_markdown(index=False, floatfmt=".4f"))
        },
    )


@dg.asset(group_name=GROUP)
def experiment_results(
    context: dg.AssetExecutionContext, experiment_configs: pl.DataFrame, postgres: PostgresResource
) -> dg.Output[pl.DataFrame]:
    """CTR per variant and the lift against the control, from the events apps wrote back."""
    events = read_events(postgres.publisher())
    table = ev.ctr_results(events, configs_of(experiment_configs))
    note = f"{events.height} events" if events.height else "no events yet: nothing to measure"
    context.log.info(f"experiment results: {note}")
    return dg.Output(
        table,
        metadata={
            "events": events.height,
            "note": note,
            "table": dg.MetadataValue.md(table.to_pandas().to_markdown(index=False)),
        },
    )

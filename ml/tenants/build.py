"""The whole tenant (and experiment-variant) list build, as the assets call it."""

from __future__ import annotations

import polars as pl

from ml.hybrid.ranking import HybridRanker, ItemSide, context
from ml.recsys.interactions import Interactions
from ml.tenants.config import TenantConfig
from ml.tenants.lists import ListSpec, Scorer, build_lists, tenant_spec, with_explanations


def scorer_for(
    model, interactions: Interactions, ratings, ranker: HybridRanker, emb, metadata, sentiment
) -> Scorer:
    """The shared scores every tenant and variant starts from (as ``hybrid_recommendations``)."""
    side = ItemSide.build(interactions, emb, metadata, sentiment)
    return Scorer(ranker, context(model, interactions, ratings, side, ranker))


def tenant_lists(
    scorer: Scorer,
    tenants: list[TenantConfig],
    facts: pl.DataFrame,
    *,
    interactions: Interactions,
    ratings: pl.DataFrame,
    metadata: pl.DataFrame,
    emb,
    model,
    pool: int = 100,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(lists with explanations, one status row per served user), column ``tenant``."""
    users, items = interactions.user_ids, interactions.item_ids
    specs = {t.name: tenant_spec(t, facts, items, users) for t in tenants}
    served = {t.name: t.users for t in tenants}
    lists, status = build_lists(
        scorer, specs, user_ids=users, item_ids=items, served=served, pool=pool
    )
    lists = with_explanations(lists, ratings, metadata, emb, model=model, item_ids=items)
    return lists.rename({"list": "tenant"}), status.rename({"list": "tenant"})


def variant_lists(
    scorer: Scorer,
    specs: dict[str, ListSpec],
    *,
    interactions: Interactions,
    ratings: pl.DataFrame,
    metadata: pl.DataFrame,
    emb,
    model,
) -> pl.DataFrame:
    """Every variant's list for every user, with explanations; column ``list`` is the key."""
    users, items = interactions.user_ids, interactions.item_ids
    lists, _ = build_lists(scorer, specs, user_ids=users, item_ids=items)
    return with_explanations(lists, ratings, metadata, emb, model=model, item_ids=items)

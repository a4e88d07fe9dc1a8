"""Checks on the tenant lists and experiment assignment; publishing waits on them."""

import json

import polars as pl

from assets.checking import gate_check, to_dagster
from ml.tenants.profiles import tenants_of
from quality import tenants as tq


@gate_check(
    "tenant_recommendations",
    "tenant_filters_hold",
    "No tenant list contains a movie its filters exclude (unknown age rating fails).",
    ins=["tenant_profiles", "movie_facts"],
)
def tenant_filters_hold(
    tenant_recommendations: pl.DataFrame, tenant_profiles: pl.DataFrame, movie_facts: pl.DataFrame
):
    return to_dagster(
        tq.no_excluded_movies(tenant_recommendations, movie_facts, tenants_of(tenant_profiles))
    )


@gate_check(
    "tenant_lists",
    "tenant_lists_complete_or_explained",
    "Every served user's list is full, or shorter with the reason why.",
    ins=["tenant_recommendations", "tenant_profiles", "ratings"],
)
def tenant_lists_complete_or_explained(
    tenant_lists: pl.DataFrame,
    tenant_recommendations: pl.DataFrame,
    tenant_profiles: pl.DataFrame,
    ratings: pl.DataFrame,
):
    users = ratings["user_id"].unique().sort().to_list()
    return to_dagster(
        tq.lists_complete_or_explained(
            tenant_recommendations, tenant_lists, tenants_of(tenant_profiles), users
        )
    )


@gate_check(
    "experiment_assignments",
    "experiment_assignment_balanced",
    "Each user in one variant per experiment; shares within 4 standard errors of the split.",
    ins=["experiment_configs", "ratings"],
)
def experiment_assignment_balanced(
    experiment_assignments: pl.DataFrame, experiment_configs: pl.DataFrame, ratings: pl.DataFrame
):
    traffic: dict[str, dict[str, float]] = {}
    for e, v, t in experiment_configs.select("experiment", "variant", "traffic").iter_rows():
        traffic.setdefault(e, {})[v] = t
    users = ratings["user_id"].unique().to_list()
    result = tq.assignment_balanced(experiment_assignments, traffic, users)
    return to_dagster(result._replace(details={**result.details, "traffic": json.dumps(traffic)}))

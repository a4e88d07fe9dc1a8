"""Checks on the hybrid lists and personas: true explanations, complete lists."""

import polars as pl

from assets.checking import gate_check, to_dagster
from quality import content as cq


@gate_check(
    "hybrid_recommendations",
    "hybrid_explanations_true",
    "Reasons cite only titles the user rated, true shared credits, no seen titles.",
    ins=["ratings", "movie_metadata", "movie_sentiment"],
)
def hybrid_explanations_true(
    hybrid_recommendations: pl.DataFrame,
    ratings: pl.DataFrame,
    movie_metadata: pl.DataFrame,
    movie_sentiment: pl.DataFrame,
):
    return to_dagster(
        cq.explanations_true(hybrid_recommendations, ratings, movie_metadata, movie_sentiment)
    )


@gate_check(
    "hybrid_recommendations",
    "hybrid_lists_complete",
    "Every user with ratings has a full list without duplicates.",
    ins=["ratings"],
)
def hybrid_lists_complete(hybrid_recommendations: pl.DataFrame, ratings: pl.DataFrame):
    k = int(hybrid_recommendations["rank"].max() or 0)
    users = ratings["user_id"].n_unique()
    return to_dagster(cq.lists_complete(hybrid_recommendations, users, k))


@gate_check(
    "user_personas",
    "every_user_has_persona",
    "Every user who rated something has exactly one persona.",
    ins=["ratings"],
)
def every_user_has_persona(user_personas: pl.DataFrame, ratings: pl.DataFrame):
    return to_dagster(cq.one_persona_each(user_personas, ratings))

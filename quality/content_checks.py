"""Checks on content and hybrid outputs: true explanations, complete lists, match rate."""

import math
import re

import dagster as dg
import polars as pl

from ml.explain import liked_counts
from ml.movie_reviews import by_item

#: Below this share of movies with metadata, the check warns (content features get thin).
MIN_MATCH_RATE = 0.6
LIKED_THRESHOLD = 4.0


def explanations_true(
    recs: pl.DataFrame,
    ratings: pl.DataFrame,
    metadata: pl.DataFrame,
    sentiment: pl.DataFrame | None = None,
) -> tuple[bool, dict]:
    """Every cited title was rated by the user with the cited rating; every shared director
    or actor is credited on the recommendation and on a film the user liked; every
    "liked X's films" claim has at least two liked films by X; every "Reviewers liked it:
    P% positive in N reviews" matches the movie's review sentiment; no seen title is
    recommended."""
    reviews = {}
    if sentiment is not None and not sentiment.is_empty():
        reviews = {
            m: (math.floor(share * 100 + 0.5), n)
            for m, share, n in by_item(sentiment)
            .select("item_id", "share_positive", "n_reviews")
            .iter_rows()
        }
    rated = {(u, i): r for u, i, r in ratings.select("user_id", "item_id", "rating").iter_rows()}
    credits = {
        key: dict(metadata.select("item_id", key).iter_rows()) for key in ("director", "cast")
    }
    counts = {
        key: liked_counts(ratings, metadata, key, LIKED_THRESHOLD) for key in ("director", "cast")
    }
    problems = []
    for row in recs.iter_rows(named=True):
        u, item = row["user_id"], row["item_id"]
        if (u, item) in rated:
            problems.append(f"user {u}: recommended {item}, which they rated")
        for cited, rating in zip(row["because_item_ids"], row["because_ratings"]):
            if rated.get((u, cited)) != rating:
                problems.append(
                    f"user {u}: cites {cited} at {rating}, rated {rated.get((u, cited))}"
                )
        for key, column in (("director", "shared_directors"), ("cast", "shared_cast")):
            for name in row[column]:
                on_item = name in (credits[key].get(item) or [])
                if not on_item or counts[key].get(u, {}).get(name, 0) < 1:
                    problems.append(f"user {u}, item {item}: {key} {name} is not shared")
        for name in re.findall(r"liked (.+?)'s films", row["reason"]):
            if counts["director"].get(u, {}).get(name, 0) < 2:
                problems.append(f"user {u}: claims to like {name}'s films")
        for share, n in re.findall(
            r"Reviewers liked it: (\d+)% positive in (\d+) reviews", row["reason"]
        ):
            if reviews.get(item) != (int(share), int(n)):
                problems.append(f"item {item}: review claim {share}%/{n} vs {reviews.get(item)}")
    return not problems, {
        "value": len(problems),
        "threshold": 0,
        "rows": recs.height,
        "examples": dg.MetadataValue.json(problems[:10]),
    }


def match_rate_ok(metadata: pl.DataFrame, min_rate: float = MIN_MATCH_RATE) -> tuple[bool, dict]:
    matched = int(metadata["match"].is_not_null().sum())
    rate = matched / metadata.height if metadata.height else 0.0
    return rate >= min_rate, {"value": rate, "threshold": min_rate, "matched": matched}


def lists_complete(recs: pl.DataFrame, users: int, k: int) -> tuple[bool, dict]:
    per_user = recs.group_by("user_id").len()
    short = per_user.filter(pl.col("len") < k).height + (users - per_user.height)
    dupes = recs.height - recs.unique(["user_id", "item_id"]).height
    return short == 0 and dupes == 0, {
        "value": short + dupes,
        "threshold": 0,
        "users_short": short,
        "duplicate_items": dupes,
    }


@dg.asset_check(
    asset="hybrid_recommendations",
    name="hybrid_explanations_true",
    description="Reasons cite only titles the user rated, true shared credits, no seen titles.",
    blocking=True,
    additional_ins={
        "ratings": dg.AssetIn("ratings"),
        "movie_metadata": dg.AssetIn("movie_metadata"),
        "movie_sentiment": dg.AssetIn("movie_sentiment"),
    },
)
def hybrid_explanations_true(
    hybrid_recommendations: pl.DataFrame,
    ratings: pl.DataFrame,
    movie_metadata: pl.DataFrame,
    movie_sentiment: pl.DataFrame,
) -> dg.AssetCheckResult:
    passed, meta = explanations_true(
        hybrid_recommendations, ratings, movie_metadata, movie_sentiment
    )
    return dg.AssetCheckResult(passed=passed, metadata=meta, severity=dg.AssetCheckSeverity.ERROR)


@dg.asset_check(
    asset="hybrid_recommendations",
    name="hybrid_lists_complete",
    description="Every user with ratings has a full list without duplicates.",
    blocking=True,
    additional_ins={"ratings": dg.AssetIn("ratings")},
)
def hybrid_lists_complete(
    hybrid_recommendations: pl.DataFrame, ratings: pl.DataFrame
) -> dg.AssetCheckResult:
    k = int(hybrid_recommendations["rank"].max() or 0)
    passed, meta = lists_complete(hybrid_recommendations, ratings["user_id"].n_unique(), k)
    return dg.AssetCheckResult(passed=passed, metadata=meta, severity=dg.AssetCheckSeverity.ERROR)


@dg.asset_check(
    asset="movie_metadata",
    name="metadata_match_rate",
    description=f"At least {MIN_MATCH_RATE:.0%} of movies matched metadata (a warning).",
)
def metadata_match_rate(movie_metadata: pl.DataFrame) -> dg.AssetCheckResult:
    passed, meta = match_rate_ok(movie_metadata)
    return dg.AssetCheckResult(passed=passed, metadata=meta, severity=dg.AssetCheckSeverity.WARN)


@dg.asset_check(
    asset="content_similarity",
    name="content_similarity_valid",
    description="Cosines in [-1, 1], no movie its own neighbour.",
    blocking=True,
)
def content_similarity_valid(content_similarity: pl.DataFrame) -> dg.AssetCheckResult:
    bad = content_similarity.filter(
        (pl.col("similarity").abs() > 1.0001) | (pl.col("item_id") == pl.col("neighbour_id"))
    ).height
    return dg.AssetCheckResult(
        passed=bad == 0,
        metadata={"value": bad, "threshold": 0, "rows": content_similarity.height},
        severity=dg.AssetCheckSeverity.ERROR,
    )


@dg.asset_check(
    asset="user_personas",
    name="every_user_has_persona",
    description="Every user who rated something has exactly one persona.",
    blocking=True,
    additional_ins={"ratings": dg.AssetIn("ratings")},
)
def every_user_has_persona(user_personas: pl.DataFrame, ratings: pl.DataFrame):
    users = ratings["user_id"].n_unique()
    missing = users - user_personas["user_id"].n_unique()
    dupes = user_personas.height - user_personas["user_id"].n_unique()
    return dg.AssetCheckResult(
        passed=missing == 0 and dupes == 0,
        metadata={"value": missing + dupes, "threshold": 0, "users": users},
        severity=dg.AssetCheckSeverity.ERROR,
    )


CONTENT_CHECKS = [
    hybrid_explanations_true,
    hybrid_lists_complete,
    metadata_match_rate,
    content_similarity_valid,
    every_user_has_persona,
]

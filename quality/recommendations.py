"""Expectations on the published recommendation lists, as pure functions."""

from __future__ import annotations

import polars as pl

from quality.expectations import unique
from quality.result import CheckResult


def complete_lists(recs: pl.DataFrame, ratings: pl.DataFrame, k: int) -> CheckResult:
    """Every user who rated something has exactly ``k`` recommendations ranked 1..k."""
    users = ratings["user_id"].n_unique()
    per_user = recs.group_by("user_id").agg(
        pl.len().alias("n"), pl.col("rank").min().alias("lo"), pl.col("rank").max().alias("hi")
    )
    bad = per_user.filter((pl.col("n") != k) | (pl.col("lo") != 1) | (pl.col("hi") != k))
    missing = users - per_user.height
    passed = bad.height == 0 and missing == 0 and recs.height == users * k
    return CheckResult(
        passed,
        recs.height,
        f"== users × k = {users} × {k} = {users * k}",
        {"users_without_list": missing, "users_with_bad_ranks": bad.height},
    )


def excludes_seen(recs: pl.DataFrame, ratings: pl.DataFrame) -> CheckResult:
    """No recommendation is a movie the user already rated."""
    seen = recs.join(ratings.select("user_id", "item_id"), on=["user_id", "item_id"], how="semi")
    details = {"examples": seen.head(10).select("user_id", "item_id").rows()} if seen.height else {}
    return CheckResult(seen.height == 0, seen.height, "0 already-rated movies recommended", details)


def no_duplicate_items(recs: pl.DataFrame) -> CheckResult:
    return unique(recs.select("user_id", "item_id"), ["user_id", "item_id"])


def explained(recs: pl.DataFrame, ratings: pl.DataFrame, liked_threshold: float) -> CheckResult:
    """Every reason names a movie the user really rated (never an invented reason)."""
    rated = ratings.select("user_id", pl.col("item_id").alias("because_item_id"), "rating")
    joined = recs.join(rated, on=["user_id", "because_item_id"], how="left")
    cites = pl.col("because_item_id").is_not_null()
    untrue = joined.filter((cites & pl.col("rating").is_null()) | pl.col("reason").is_null())
    liked_share = joined.select((pl.col("rating") >= liked_threshold).mean()).item()
    return CheckResult(
        untrue.height == 0,
        untrue.height,
        "0 reasons that cite a movie the user did not rate",
        {"share_citing_a_liked_movie": float(liked_share or 0.0)},
    )

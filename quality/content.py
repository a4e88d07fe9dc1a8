"""Checks on content and hybrid outputs: true explanations, complete lists, match rate."""

import math
import re

import polars as pl

from ml.hybrid.explain import liked_counts
from ml.sentiment.movie_reviews import by_item
from quality.result import CheckResult

#: Below this share of movies with metadata, the check warns (content features get thin).
MIN_MATCH_RATE = 0.6
LIKED_THRESHOLD = 4.0


def explanations_true(
    recs: pl.DataFrame,
    ratings: pl.DataFrame,
    metadata: pl.DataFrame,
    sentiment: pl.DataFrame | None = None,
) -> CheckResult:
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
    return CheckResult(
        not problems, len(problems), 0, {"rows": recs.height, "examples": problems[:10]}
    )


def match_rate_ok(metadata: pl.DataFrame, min_rate: float = MIN_MATCH_RATE) -> CheckResult:
    matched = int(metadata["match"].is_not_null().sum())
    rate = matched / metadata.height if metadata.height else 0.0
    return CheckResult(rate >= min_rate, rate, min_rate, {"matched": matched})


def lists_complete(recs: pl.DataFrame, users: int, k: int) -> CheckResult:
    per_user = recs.group_by("user_id").len()
    short = per_user.filter(pl.col("len") < k).height + (users - per_user.height)
    dupes = recs.height - recs.unique(["user_id", "item_id"]).height
    details = {"users_short": short, "duplicate_items": dupes}
    return CheckResult(short == 0 and dupes == 0, short + dupes, 0, details)


def similarity_valid(similarity: pl.DataFrame) -> CheckResult:
    """Cosines lie in [-1, 1] and no movie is its own neighbour."""
    bad = similarity.filter(
        (pl.col("similarity").abs() > 1.0001) | (pl.col("item_id") == pl.col("neighbour_id"))
    ).height
    return CheckResult(bad == 0, bad, 0, {"rows": similarity.height})


def one_persona_each(personas: pl.DataFrame, ratings: pl.DataFrame) -> CheckResult:
    """Every user who rated something has exactly one persona."""
    users = ratings["user_id"].n_unique()
    missing = users - personas["user_id"].n_unique()
    dupes = personas.height - personas["user_id"].n_unique()
    return CheckResult(missing == 0 and dupes == 0, missing + dupes, 0, {"users": users})

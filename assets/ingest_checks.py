"""Checks on the ingested tables: the contract, value ranges, references, quarantine share."""

import polars as pl

from assets.checking import gate_check, to_dagster
from assets.resources import GateResource
from quality import expectations as ex
from quality.result import CheckResult, combine


@gate_check("ratings", "ratings_schema", "Columns and dtypes match the interactions contract.")
def ratings_schema(ratings: pl.DataFrame):
    return to_dagster(ex.schema_matches(ratings, ex.RATINGS_COLUMNS))


@gate_check("ratings", "ratings_not_empty", "At least one rating was accepted.")
def ratings_not_empty(ratings: pl.DataFrame):
    return to_dagster(ex.not_empty(ratings))


@gate_check("ratings", "ratings_in_range", "Every rating lies on the configured scale, none null.")
def ratings_in_range(ratings: pl.DataFrame, gate: GateResource):
    scale = ex.values_between(ratings, "rating", gate.min_rating, gate.max_rating)
    nulls = ex.no_nulls(ratings, list(ex.RATINGS_COLUMNS))
    passed = scale.passed and nulls.passed
    details = {**scale.details, "nulls": nulls.details["nulls"]}
    details["gx"] = {"range": scale.details["gx"], "nulls": nulls.details["gx"]}
    return to_dagster(CheckResult(passed, scale.value, scale.threshold, details))


@gate_check("ratings", "ratings_unique", "No duplicate (user, movie, timestamp) rows.")
def ratings_unique(ratings: pl.DataFrame):
    return to_dagster(ex.unique(ratings, ["user_id", "item_id", "timestamp"]))


@gate_check(
    "ratings",
    "ratings_reference_movies",
    "Every rated movie exists in movies (referential integrity).",
    ins=["movies"],
)
def ratings_reference_movies(ratings: pl.DataFrame, movies: pl.DataFrame):
    return to_dagster(ex.references(ratings, "item_id", movies["item_id"]))


@gate_check(
    "ratings",
    "ratings_quarantine_share",
    "Share of rating rows quarantined stays under the configured maximum.",
    ins=["quarantine"],
)
def ratings_quarantine_share(ratings: pl.DataFrame, quarantine: pl.DataFrame, gate: GateResource):
    return _quarantine_share("ratings", ratings, quarantine, gate)


@gate_check("movies", "movies_schema", "Columns and dtypes match the movies contract.")
def movies_schema(movies: pl.DataFrame):
    return to_dagster(ex.schema_matches(movies, ex.MOVIES_COLUMNS))


@gate_check(
    "movies", "movies_valid", "Movies exist, ids are unique, titles present, years plausible."
)
def movies_valid(movies: pl.DataFrame, gate: GateResource):
    dated = movies.filter(pl.col("year").is_not_null())
    parts = {
        "duplicate_ids": ex.unique(movies, ["item_id"]),
        "null_ids_or_titles": ex.no_nulls(movies, ["item_id", "title"]),
        "implausible_years": ex.values_between(dated, "year", gate.min_year, gate.max_year),
    }
    rows = ex.not_empty(movies)
    result = combine(parts, "0 duplicate ids, null titles or implausible years; >= 1 movie")
    details = {**result.details, "rows": rows.value}
    return to_dagster(
        CheckResult(result.passed and rows.passed, result.value, result.threshold, details)
    )


@gate_check(
    "movies",
    "movies_quarantine_share",
    "Share of movie rows quarantined stays under the configured maximum.",
    ins=["quarantine"],
)
def movies_quarantine_share(movies: pl.DataFrame, quarantine: pl.DataFrame, gate: GateResource):
    return _quarantine_share("movies", movies, quarantine, gate)


def _quarantine_share(table: str, accepted: pl.DataFrame, quarantine, gate: GateResource):
    return to_dagster(
        ex.quarantine_share(quarantine, accepted.height, table, max_share=gate.max_quarantine_share)
    )

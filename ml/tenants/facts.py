"""Per-movie facts the tenant filters and boosts read: age rating, awards, critics, counts.

The offline OMDb table (``ml.content.metadata``) has an age rating (``Rating``) for about
15% of its films, Metacritic scores for many and an awards sentence ("Won 2 Oscars.
Nominated for 4 Oscars."); MovieLens movies are joined to it on the IMDb id that
``movie_metadata`` found. A movie without a match has unknown facts, and an unknown age
rating fails an age filter unless the tenant allows unrated titles.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import polars as pl

from ml.tenants.config import AGE_RATINGS, Boosts, Filters, normalise_rating

FACTS_SCHEMA = {
    "item_id": pl.Int64,
    "title": pl.String,
    "year": pl.Int32,
    "genres": pl.List(pl.String),
    "director": pl.List(pl.String),
    "language": pl.String,
    "countries": pl.List(pl.String),
    "age_rating": pl.String,
    "metacritic": pl.Int32,
    "oscar_wins": pl.Int32,
    "oscar_nominations": pl.Int32,
    "award_score": pl.Float64,
    "n_ratings": pl.Int64,
}


def read_omdb_extras(path: Path | None = None) -> pl.DataFrame:
    """imdb_id, age_rating (normalised, null when unknown), metacritic, awards text."""
    from ml.content.metadata import omdb_path

    with sqlite3.connect(f"file:{path or omdb_path()}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT imdbID, Rating, Metacritic, Awards FROM omdb").fetchall()
    frame = pl.DataFrame(
        rows,
        schema={
            "imdb_id": pl.String,
            "rating": pl.String,
            "metacritic": pl.Int32,
            "awards": pl.String,
        },
        orient="row",
    )
    return frame.unique("imdb_id", keep="first").with_columns(
        pl.col("rating").map_elements(normalise_rating, return_dtype=pl.String).alias("age_rating")
    )


def _count(pattern: str) -> pl.Expr:
    return pl.col("awards").str.extract(pattern, 1).cast(pl.Int32).fill_null(0)


def movie_facts(
    metadata: pl.DataFrame, ratings: pl.DataFrame, extras: pl.DataFrame
) -> pl.DataFrame:
    """One row per movie of ``metadata`` (``FACTS_SCHEMA``).

    ``award_score`` is 1 for an Oscar winner, 0.5 for a nominee, 0.25 for other wins, else 0;
    ``language`` is the first listed (the original language); ``countries`` every one listed.
    """
    counts = ratings.group_by("item_id").len().rename({"len": "n_ratings"})
    extra = extras.select("imdb_id", "age_rating", "metacritic", "awards")
    out = (
        metadata.join(extra, on="imdb_id", how="left")
        .join(counts, on="item_id", how="left")
        .with_columns(
            pl.col("language").str.split(",").list.first().str.strip_chars().alias("language"),
            pl.col("country")
            .fill_null("")
            .str.split(",")
            .list.eval(pl.element().str.strip_chars())
            .list.eval(pl.element().filter(pl.element() != ""))
            .alias("countries"),
            _count(r"Won (\d+) Oscars?").alias("oscar_wins"),
            _count(r"Nominated for (\d+) Oscars?").alias("oscar_nominations"),
            pl.col("n_ratings").fill_null(0),
            pl.col("director").fill_null([]),
            pl.col("genres").fill_null([]),
        )
    )
    out = out.with_columns(
        pl.when(pl.col("oscar_wins") > 0)
        .then(1.0)
        .when(pl.col("oscar_nominations") > 0)
        .then(0.5)
        .when(pl.col("awards").str.contains(r"(?i)\bwins?\b"))
        .then(0.25)
        .otherwise(0.0)
        .alias("award_score")
    )
    return out.select([pl.col(c).cast(t) for c, t in FACTS_SCHEMA.items()]).sort("item_id")


def _first_reason(cases: list[tuple[pl.Expr, pl.Expr]]) -> pl.Expr:
    if not cases:
        return pl.lit(None, dtype=pl.String)
    chain = pl.when(cases[0][0]).then(cases[0][1])
    for cond, reason in cases[1:]:
        chain = chain.when(cond).then(reason)
    return chain.otherwise(pl.lit(None, dtype=pl.String))


def exclusion_reasons(facts: pl.DataFrame, f: Filters) -> pl.Series:
    """Per row of ``facts``: why ``f`` excludes the movie (the first failing filter), or null.

    Unknown facts fail the filter that needs them: an unknown age rating fails
    ``max_age_rating`` unless ``allow_unrated``; an unknown year fails a year range.
    """
    cases: list[tuple[pl.Expr, pl.Expr]] = []
    if f.max_age_rating is not None:
        allowed = list(AGE_RATINGS[: AGE_RATINGS.index(f.max_age_rating) + 1])
        if not f.allow_unrated:
            cases.append((pl.col("age_rating").is_null(), pl.lit("age rating unknown")))
        cases.append(
            (
                pl.col("age_rating").is_not_null() & ~pl.col("age_rating").is_in(allowed),
                pl.format("rated {} (above {})", "age_rating", pl.lit(f.max_age_rating)),
            )
        )
    if f.exclude_genres:
        hit = pl.col("genres").list.set_intersection(list(f.exclude_genres))
        cases.append((hit.list.len() > 0, pl.format("genre {}", hit.list.first())))
    if f.exclude_languages:
        cases.append(
            (
                pl.col("language").is_in(list(f.exclude_languages)),
                pl.format("language {}", "language"),
            )
        )
    if f.exclude_countries:
        hit = pl.col("countries").list.set_intersection(list(f.exclude_countries))
        cases.append((hit.list.len() > 0, pl.format("country {}", hit.list.first())))
    if f.year_min is not None or f.year_max is not None:
        cases.append((pl.col("year").is_null(), pl.lit("release year unknown")))
    if f.year_min is not None:
        cases.append(
            (
                pl.col("year") < f.year_min,
                pl.format("released {} (before {})", "year", pl.lit(f.year_min)),
            )
        )
    if f.year_max is not None:
        cases.append(
            (
                pl.col("year") > f.year_max,
                pl.format("released {} (after {})", "year", pl.lit(f.year_max)),
            )
        )
    if f.min_ratings > 0:
        cases.append(
            (
                pl.col("n_ratings") < f.min_ratings,
                pl.format("{} ratings (fewer than {})", "n_ratings", pl.lit(f.min_ratings)),
            )
        )
    return facts.select(_first_reason(cases).alias("excluded_by"))["excluded_by"]


def boost_scores(facts: pl.DataFrame, b: Boosts) -> np.ndarray:
    """Per row of ``facts``, the sum of the boosts that apply (0 when none), shape (n,)."""
    out = np.zeros(facts.height)
    genres, directors = facts["genres"].to_list(), facts["director"].to_list()
    if b.genres:
        out += np.array([sum(b.genres.get(g, 0.0) for g in gs) for gs in genres])
    if b.directors:
        out += np.array([sum(b.directors.get(d, 0.0) for d in ds) for ds in directors])
    years = facts["year"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    for era in b.eras:
        out += np.where((years >= era.start) & (years <= era.end), era.weight, 0.0)
    if b.awards:
        out += b.awards * facts["award_score"].to_numpy()
    if b.critics:
        out += b.critics * facts["metacritic"].cast(pl.Float64).fill_null(0.0).to_numpy() / 100
    return out

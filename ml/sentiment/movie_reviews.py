"""Movie-linked reviews from several sources as one clean table: a file's and TMDb's.

Each source is cleaned like every review (``ml.sentiment.reviews.clean_reviews``) with
Markdown marks stripped as well, since review sites (TMDb) write Markdown and HTML. A
(movie, text) pair is kept once, from the first source that has it; its repeats go to
quarantine as ``duplicate``, so a review that a file and TMDb both hold is scored once and
no row vanishes unrecorded.
"""

from __future__ import annotations

import polars as pl

from ml.content.tmdb import REVIEW_SOURCE
from ml.sentiment.reviews import MAX_CHARS, QUARANTINE_SCHEMA, clean_reviews, movie_reviews_frame

DUPLICATE = "duplicate"


def tmdb_movie_reviews(tmdb_reviews: pl.DataFrame) -> pl.DataFrame:
    """TMDb reviews (``ml.content.tmdb.REVIEW_SCHEMA``) as raw movie reviews.

    Returns ``ml.sentiment.reviews.empty_movie_reviews``' columns with ``source`` ``"tmdb"``,
    ``movie_id`` the MovieLens item id as text (as movie-review files give it), ``date``
    TMDb's ``created_at`` and ``review_id`` TMDb's review id.
    """
    table = tmdb_reviews.select(
        pl.col("item_id").cast(pl.String).alias("movie_id"),
        "text",
        "author",
        pl.col("created_at").alias("date"),
        "review_id",
    )
    return movie_reviews_frame(table, REVIEW_SOURCE)


def union_movie_reviews(
    sources: dict[str, pl.DataFrame], *, max_chars: int = MAX_CHARS
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, dict[str, int]]]:
    """Clean each raw source (``read_movie_reviews`` columns) and keep each (movie, text) once.

    Parameters
    ----------
    sources
        Name → raw reviews, in priority order: on identical cleaned ``(movie_id, text)``
        the row of the earlier source (then the earlier row) is kept.
    max_chars
        Longer texts are truncated (and marked).

    Returns
    -------
    clean, quarantine, counts
        ``clean``: ``clean_reviews`` columns, one row per distinct (movie, text);
        ``quarantine``: ``QUARANTINE_SCHEMA`` rows of every source, duplicates included;
        ``counts``: name → ``{"read", "kept", "quarantined", "duplicates"}``, where
        ``read == kept + quarantined`` and ``quarantined`` includes ``duplicates``.
    """
    cleaned, bad = [], []
    for name, raw in sources.items():
        clean, quarantine = clean_reviews(raw, max_chars=max_chars, labelled=False, markdown=True)
        cleaned.append(clean.with_columns(pl.lit(name).alias("_origin")))
        bad.append(quarantine.with_columns(pl.lit(name).alias("_origin")))
    rows = pl.concat(cleaned)
    first = pl.struct("movie_id", "text").is_first_distinct()
    dupes = rows.filter(~first)
    bad.append(
        dupes.select(
            "source",
            "row",
            pl.col("review_id").alias("id"),
            pl.lit(DUPLICATE).alias("reason"),
            pl.col("text").str.slice(0, 500).alias("raw"),
            "_origin",
        )
    )
    kept, quarantine = rows.filter(first), pl.concat(bad)
    counts = {}
    for name, raw in sources.items():
        n_kept = kept.filter(pl.col("_origin") == name).height
        n_bad = quarantine.filter(pl.col("_origin") == name).height
        n_dupes = dupes.filter(pl.col("_origin") == name).height
        counts[name] = {
            "read": raw.height,
            "kept": n_kept,
            "quarantined": n_bad,
            "duplicates": n_dupes,
        }
    return kept.drop("_origin"), quarantine.select(list(QUARANTINE_SCHEMA)), counts


def by_item(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` keyed by catalogue ``item_id`` (Int64) instead of the text ``movie_id``.

    Movie-linked reviews name movies by text (files may use any id); rows whose id is not a
    MovieLens item id cannot join the catalogue and are left out here, never mis-joined.
    """
    return frame.with_columns(
        pl.col("movie_id").cast(pl.Int64, strict=False).alias("item_id")
    ).filter(pl.col("item_id").is_not_null())

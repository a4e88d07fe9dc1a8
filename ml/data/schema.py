"""The one contract of the ingested tables: ratings, movies and quarantine, and the reasons.

Readers build frames with exactly these schemas; ``quality`` checks frames against them;
``ml.recsys`` reads ``INTERACTION_COLUMNS``. Change a column here and every user follows.
"""

from __future__ import annotations

import polars as pl

UNPARSEABLE = "unparseable"
RATING_OUT_OF_RANGE = "rating_out_of_range"
#: Inside the release's range but between its steps: 3.25 on half stars, 3.5 on whole.
RATING_OFF_SCALE = "rating_off_scale"
UNKNOWN_MOVIE = "unknown_movie"
DUPLICATE = "duplicate"
MISSING_VALUE = "missing_value"
#: A user or movie id of zero or below: every release numbers them from 1.
ID_NOT_POSITIVE = "id_not_positive"
#: A rating time outside the period the release's README says its ratings were made in.
TIMESTAMP_IMPLAUSIBLE = "timestamp_implausible"
#: A movie with a genre the release's README does not list.
UNKNOWN_GENRE = "unknown_genre"

QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "table": pl.String(),
    "source_file": pl.String(),
    "line": pl.Int64(),
    "reason": pl.String(),
    "raw": pl.String(),
}
RATINGS_SCHEMA: dict[str, pl.DataType] = {
    "user_id": pl.Int64(),
    "item_id": pl.Int64(),
    "rating": pl.Float64(),
    "timestamp": pl.Int64(),
}
MOVIES_SCHEMA: dict[str, pl.DataType] = {
    "item_id": pl.Int64(),
    "title": pl.String(),
    "year": pl.Int32(),
    "genres": pl.List(pl.String()),
}
#: The interactions contract every recommender input and output follows.
INTERACTION_COLUMNS = tuple(RATINGS_SCHEMA)


def dtype_names(schema: dict[str, pl.DataType]) -> dict[str, str]:
    """``{column: dtype name}`` of a schema, e.g. ``{"genres": "List(String)"}``."""
    return {c: str(t) for c, t in schema.items()}

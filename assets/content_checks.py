"""Checks on content outputs: metadata coverage and the similarity table."""

import polars as pl

from assets.checking import gate_check, to_dagster
from quality import content as cq


@gate_check(
    "movie_metadata",
    "metadata_match_rate",
    f"At least {cq.MIN_MATCH_RATE:.0%} of movies matched metadata (a warning).",
    warn=True,
)
def metadata_match_rate(movie_metadata: pl.DataFrame):
    return to_dagster(cq.match_rate_ok(movie_metadata), warn=True)


@gate_check(
    "content_similarity",
    "content_similarity_valid",
    "Cosines in [-1, 1], no movie its own neighbour.",
)
def content_similarity_valid(content_similarity: pl.DataFrame):
    return to_dagster(cq.similarity_valid(content_similarity))

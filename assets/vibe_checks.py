"""Checks on the vibe outputs: embeddings the index can use, trailers that failed to decode."""

import polars as pl

from assets.checking import gate_check, to_dagster
from quality import vibe as vq


@gate_check(
    "clip_embeddings",
    "clip_embeddings_valid",
    "Every frame has a finite, unit-norm CLIP embedding of one dimension.",
    ins=["frames"],
)
def clip_embeddings_valid(clip_embeddings: pl.DataFrame, frames: pl.DataFrame):
    return to_dagster(vq.embeddings_valid(clip_embeddings, frames))


@gate_check(
    "trailer_extractions",
    "trailers_decoded",
    "Every trailer decoded; a failure is a warning, the other trailers go on.",
    warn=True,
)
def trailers_decoded(trailer_extractions: pl.DataFrame):
    return to_dagster(vq.extraction_failures(trailer_extractions), warn=True)

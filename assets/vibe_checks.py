"""Checks on the vibe outputs: embeddings the index can use, trailers that failed to decode,
neighbours and styles apps can serve, a text -> image head that learnt something."""

import polars as pl

from assets.checking import gate_check, to_dagster
from ml.vision.projection import TextImageHead
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


@gate_check(
    "visual_similarity",
    "visual_similarity_valid",
    "Ranks 1..n per movie, no self or repeated neighbour, similarity in [-1, 1] falling with "
    "rank, only movies with frames, one encoder.",
    ins=["clip_embeddings"],
)
def visual_similarity_valid(visual_similarity: pl.DataFrame, clip_embeddings: pl.DataFrame):
    return to_dagster(vq.visual_similarity_valid(visual_similarity, clip_embeddings))


@gate_check(
    "frame_styles",
    "frame_styles_valid",
    "Every embedded frame in exactly one named style; one name per style.",
    ins=["clip_embeddings"],
)
def frame_styles_valid(frame_styles: pl.DataFrame, clip_embeddings: pl.DataFrame):
    return to_dagster(vq.frame_styles_valid(frame_styles, clip_embeddings))


@gate_check(
    "text_image_head",
    "text_image_head_generalises",
    "The head's loss on held-out ImageNet classes fell below its starting value.",
    warn=True,
)
def text_image_head_generalises(text_image_head: TextImageHead):
    return to_dagster(vq.head_generalises(text_image_head.history), warn=True)

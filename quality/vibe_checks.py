"""Checks on the vibe outputs: embeddings usable by the index, trailers that failed to decode."""

import dagster as dg
import numpy as np
import polars as pl

UNIT_NORM_TOLERANCE = 1e-3


def embeddings_valid(embeddings: pl.DataFrame, frames: pl.DataFrame) -> tuple[bool, dict]:
    """Every frame has one finite, unit-norm embedding, all of one dimension."""
    dims = embeddings["vector"].list.len().unique().to_list() if embeddings.height else []
    bad = 0
    if len(dims) == 1:
        matrix = np.asarray(embeddings["vector"].to_list(), dtype=np.float64)
        finite = np.isfinite(matrix).all(axis=1)
        norms = np.linalg.norm(np.where(np.isfinite(matrix), matrix, 0), axis=1)
        bad = int((~finite | (np.abs(norms - 1) > UNIT_NORM_TOLERANCE)).sum())
    elif embeddings.height:
        bad = embeddings.height
    missing = int((~frames["frame_id"].is_in(embeddings["frame_id"].implode())).sum())
    value = bad + missing
    return value == 0, {
        "value": value,
        "threshold": 0,
        "frames": frames.height,
        "missing_embeddings": missing,
        "invalid_vectors": bad,
        "dimensions": dg.MetadataValue.json(dims),
    }


def extraction_failures(extractions: pl.DataFrame) -> tuple[bool, dict]:
    """Trailers whose file could not be decoded, with their errors."""
    failed = extractions.filter(pl.col("error").is_not_null())
    return failed.is_empty(), {
        "value": failed.height,
        "threshold": 0,
        "trailers": extractions.height,
        "errors": dg.MetadataValue.json(
            [
                {"movie_id": m, "source": s, "error": e}
                for m, s, e in failed.select("movie_id", "source", "error").rows()
            ]
        ),
    }


@dg.asset_check(
    asset="clip_embeddings",
    name="clip_embeddings_valid",
    description="Every frame has a finite, unit-norm CLIP embedding of one dimension.",
    blocking=True,
    additional_ins={"frames": dg.AssetIn("frames")},
)
def clip_embeddings_valid(
    clip_embeddings: pl.DataFrame, frames: pl.DataFrame
) -> dg.AssetCheckResult:
    passed, metadata = embeddings_valid(clip_embeddings, frames)
    return dg.AssetCheckResult(
        passed=passed, metadata=metadata, severity=dg.AssetCheckSeverity.ERROR
    )


@dg.asset_check(
    asset="trailer_extractions",
    name="trailers_decoded",
    description="Every trailer decoded; a failure is a warning, the other trailers go on.",
)
def trailers_decoded(trailer_extractions: pl.DataFrame) -> dg.AssetCheckResult:
    passed, metadata = extraction_failures(trailer_extractions)
    return dg.AssetCheckResult(
        passed=passed, metadata=metadata, severity=dg.AssetCheckSeverity.WARN
    )


VIBE_CHECKS = [clip_embeddings_valid, trailers_decoded]

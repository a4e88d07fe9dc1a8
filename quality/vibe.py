"""Checks on the vibe outputs: embeddings usable by the index, trailers that failed to decode."""

import numpy as np
import polars as pl

from quality.result import CheckResult

UNIT_NORM_TOLERANCE = 1e-3


def embeddings_valid(embeddings: pl.DataFrame, frames: pl.DataFrame) -> CheckResult:
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
    details = {
        "frames": frames.height,
        "missing_embeddings": missing,
        "invalid_vectors": bad,
        "dimensions": dims,
    }
    return CheckResult(value == 0, value, 0, details)


def extraction_failures(extractions: pl.DataFrame) -> CheckResult:
    """Trailers whose file could not be decoded, with their errors."""
    failed = extractions.filter(pl.col("error").is_not_null())
    errors = [
        {"movie_id": m, "source": s, "error": e}
        for m, s, e in failed.select("movie_id", "source", "error").rows()
    ]
    details = {"trailers": extractions.height, "errors": errors}
    return CheckResult(failed.is_empty(), failed.height, 0, details)

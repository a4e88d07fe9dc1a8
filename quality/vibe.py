"""Checks on the vibe outputs: embeddings usable by the index, trailers that failed to decode,
visual neighbours and frame styles an app can serve, a text -> image head that generalises."""

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


def visual_similarity_valid(similarity: pl.DataFrame, embeddings: pl.DataFrame) -> CheckResult:
    """ "Looks like this" rows an app can serve: ranks 1..n per movie, no movie its own
    neighbour or twice, similarities finite in [-1, 1] and not rising with rank, every movie
    and neighbour one with frames, all from the embeddings' one encoder."""
    with_frames = embeddings["movie_id"].unique().implode()
    by_item = similarity.sort("item_id", "rank").group_by("item_id", maintain_order=True)
    per_item = by_item.agg(
        ranks_ok=(pl.col("rank") == pl.int_range(1, pl.len() + 1)).all(),
        repeats=pl.len() - pl.col("neighbour_id").n_unique(),
        rises=(pl.col("similarity").diff() > 1e-9).sum(),
    )
    sims = similarity["similarity"].to_numpy()
    counts = {
        "items_with_bad_ranks": int((~per_item["ranks_ok"]).sum()),
        "repeated_neighbours": int(per_item["repeats"].sum()),
        "similarity_rises_with_rank": int(per_item["rises"].sum()),
        "self_neighbours": int((similarity["item_id"] == similarity["neighbour_id"]).sum()),
        "similarity_out_of_range": int((~np.isfinite(sims) | (np.abs(sims) > 1 + 1e-6)).sum()),
        "movies_without_frames": int(
            (~similarity["item_id"].is_in(with_frames)).sum()
            + (~similarity["neighbour_id"].is_in(with_frames)).sum()
        ),
        "other_encoder": int(
            (~similarity["encoder"].is_in(embeddings["encoder"].unique().implode())).sum()
        ),
    }
    value = sum(counts.values())
    details = {"rows": similarity.height, "movies": similarity["item_id"].n_unique(), **counts}
    return CheckResult(value == 0, value, 0, details)


def frame_styles_valid(styles: pl.DataFrame, embeddings: pl.DataFrame) -> CheckResult:
    """Every embedded frame in exactly one named style, one name per style id and one id per
    name, from the embeddings' encoder."""
    missing = int((~embeddings["frame_id"].is_in(styles["frame_id"].implode())).sum())
    repeated = styles.height - styles["frame_id"].n_unique()
    names = styles.group_by("style_id").agg(pl.col("style").n_unique().alias("n"))
    ids = styles.group_by("style").agg(pl.col("style_id").n_unique().alias("n"))
    counts = {
        "frames_without_style": missing,
        "frames_in_two_styles": repeated,
        "unnamed": int((styles["style"].fill_null("").str.strip_chars() == "").sum()),
        "ids_with_two_names": int((names["n"] > 1).sum()),
        "names_with_two_ids": int((ids["n"] > 1).sum()),
        "other_encoder": int(
            (~styles["encoder"].is_in(embeddings["encoder"].unique().implode())).sum()
        ),
    }
    value = sum(counts.values())
    sizes = styles.group_by("style").len().sort("len", descending=True)
    details = {"frames": styles.height, "styles": dict(sizes.rows()), **counts}
    return CheckResult(value == 0, value, 0, details)


def head_generalises(history: dict) -> CheckResult:
    """The text -> image head's loss on held-out classes fell below its starting value."""
    curve = history.get("val_loss") or []
    start = float(curve[0]) if curve else float("nan")
    best = float(min(curve)) if curve else float("nan")
    details = {
        "start_validation_loss": start,
        "best_epoch": history.get("best_epoch"),
        "validation_classes": len(history.get("validation_classes", [])),
    }
    return CheckResult(bool(curve) and best < start, best, start, details)

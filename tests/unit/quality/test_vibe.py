"""Vibe checks: every frame has a usable embedding; trailers that did not decode are counted."""

from __future__ import annotations

import polars as pl

from quality import vibe as vq


def _embeddings(vectors: list[list[float]], ids: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {"frame_id": ids, "vector": vectors}, schema_overrides={"vector": pl.List(pl.Float32)}
    )


def test_embeddings_valid() -> None:
    frames = pl.DataFrame({"frame_id": ["a", "b", "c"]})
    good = _embeddings([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]], ["a", "b", "c"])
    r = vq.embeddings_valid(good, frames)
    assert r.passed and r.value == 0 and r.details["dimensions"] == [2]
    bad = _embeddings([[2.0, 0.0], [float("nan"), 1.0]], ["a", "b"])
    r = vq.embeddings_valid(bad, frames)
    # Two invalid vectors, and frame c has none.
    assert not r.passed and r.value == 3 and r.threshold == 0
    assert (r.details["invalid_vectors"], r.details["missing_embeddings"]) == (2, 1)
    # Vectors of two dimensions: none of them can go into one index.
    mixed = _embeddings([[1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0]], ["a", "b", "c"])
    assert vq.embeddings_valid(mixed, frames).details["invalid_vectors"] == 3


def test_extraction_failures() -> None:
    log = pl.DataFrame(
        {"movie_id": [1, 2], "source": ["a.mp4", "b.mp4"], "error": [None, "invalid data"]}
    )
    r = vq.extraction_failures(log)
    assert not r.passed and r.value == 1 and r.threshold == 0
    assert r.details == {
        "trailers": 2,
        "errors": [{"movie_id": 2, "source": "b.mp4", "error": "invalid data"}],
    }
    assert vq.extraction_failures(log.head(1)).passed

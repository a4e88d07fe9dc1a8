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


def _frames_of(movies: dict[int, int], encoder: str = "cnn") -> pl.DataFrame:
    ids = [(f"{m}_{i}", m) for m, n in movies.items() for i in range(n)]
    return pl.DataFrame(
        {"frame_id": [f for f, _ in ids], "movie_id": [m for _, m in ids], "encoder": encoder}
    )


def test_visual_similarity_valid() -> None:
    embeddings = _frames_of({1: 2, 2: 1, 3: 1})
    good = pl.DataFrame(
        {
            "item_id": [1, 1, 2, 2, 3, 3],
            "rank": [1, 2, 1, 2, 1, 2],
            "neighbour_id": [2, 3, 1, 3, 1, 2],
            "similarity": [0.9, 0.5, 0.9, 0.4, 0.5, 0.4],
            "encoder": "cnn",
        }
    )
    r = vq.visual_similarity_valid(good, embeddings)
    assert r.passed and r.value == 0 and r.details["movies"] == 3
    bad = good.with_columns(
        rank=pl.Series([1, 3, 1, 2, 1, 2]),  # movie 1 skips rank 2
        neighbour_id=pl.Series([2, 3, 2, 9, 1, 2]),  # movie 2 its own neighbour; 9 has no frames
        similarity=pl.Series([0.9, 0.5, 0.4, 0.9, 1.5, 0.4]),  # rises for 2; 1.5 out of range
    )
    r = vq.visual_similarity_valid(bad, embeddings)
    assert not r.passed and r.threshold == 0
    assert r.details["items_with_bad_ranks"] == 1 and r.details["self_neighbours"] == 1
    assert r.details["movies_without_frames"] == 1
    assert r.details["similarity_rises_with_rank"] == 1
    assert r.details["similarity_out_of_range"] == 1
    other = good.with_columns(encoder=pl.lit("clip/ViT-B-32/random"))
    assert vq.visual_similarity_valid(other, embeddings).details["other_encoder"] == 6


def test_frame_styles_valid() -> None:
    embeddings = _frames_of({1: 2, 2: 2})
    styles = embeddings.select(
        "frame_id",
        "movie_id",
        style_id=pl.Series([0, 0, 1, 1], dtype=pl.Int32),
        style=pl.Series(["dark warm", "dark warm", "vivid", "vivid"]),
        similarity=pl.lit(0.9),
        encoder=pl.lit("cnn"),
    )
    r = vq.frame_styles_valid(styles, embeddings)
    assert r.passed and r.details["styles"] == {"dark warm": 2, "vivid": 2}
    broken = pl.concat(
        [
            styles.head(3).with_columns(style=pl.Series(["dark warm", "dusk", "vivid"])),
            styles.head(1),  # frame 1_0 twice
        ]
    )
    r = vq.frame_styles_valid(broken, embeddings)
    assert not r.passed
    assert (r.details["frames_without_style"], r.details["frames_in_two_styles"]) == (1, 1)
    assert r.details["ids_with_two_names"] == 1


def test_head_generalises() -> None:
    r = vq.head_generalises({"val_loss": [5.3, 4.0, 3.4, 3.6], "best_epoch": 2})
    assert r.passed and (r.value, r.threshold) == (3.4, 5.3)
    assert not vq.head_generalises({"val_loss": [5.3, 5.4]}).passed
    assert not vq.head_generalises({}).passed

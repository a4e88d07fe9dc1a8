"""Vibe search over real photos as frames: the index tables, palette words, prefilter and
the metadata channel."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from ml.vibe.search import VibeSearcher
from ml.vibe.tables import build_index, stats_row
from ml.vision.colour import analyse


@pytest.fixture(scope="module")
def photo_index(tmp_path_factory):
    """Three 'movies' whose frames are real photos: camera (grey), coffee, rocket."""
    import skimage.data

    root = tmp_path_factory.mktemp("vibe")
    photos = {1: ["camera", "coins"], 2: ["coffee", "chelsea"], 3: ["rocket"]}
    frames, analytics, vectors = [], [], []
    rng = np.random.default_rng(0)
    for movie, names in photos.items():
        for name in names:
            image = getattr(skimage.data, name)()
            image = np.stack([image] * 3, -1) if image.ndim == 2 else image[..., :3]
            fid = f"{movie}_{name}"
            frames.append((fid, movie, 0, 1.0, "uniform", f"/thumbs/{name}.jpg"))
            analytics.append(stats_row(analyse(image), frame_id=fid, movie_id=movie))
            vectors.append(rng.standard_normal(8).astype(np.float32))
    frames = pl.DataFrame(
        frames,
        orient="row",
        schema=["frame_id", "movie_id", "frame_index", "timestamp", "kind", "thumbnail"],
    )
    vectors = np.array(vectors) / np.linalg.norm(vectors, axis=1, keepdims=True)
    embeddings = pl.DataFrame(
        {
            "frame_id": frames["frame_id"],
            "movie_id": frames["movie_id"],
            "vector": vectors.tolist(),
            "tags": [[]] * frames.height,
        },
        schema_overrides={"vector": pl.List(pl.Float32), "tags": pl.List(pl.String)},
    )
    movies = pl.DataFrame(
        {
            "item_id": [1, 2, 3, 4],
            "title": ["Grey Days", "Espresso", "Launch", "Orange County"],
            "year": [1950, 1999, 2011, 2002],
            "genres": [["Drama"], ["Comedy"], ["Documentary"], ["Comedy"]],
        }
    )
    info = build_index(root, frames, pl.DataFrame(analytics), embeddings, movies)
    return root, info


def test_index_tables(photo_index):
    _, info = photo_index
    assert (info["frames"], info["movies"], info["movies_with_frames"], info["clip_dim"]) == (
        5,
        4,
        3,
        8,
    )
    assert info["indexes"]["frames"][0]["kind"] == "flat"


def test_search_by_palette_words_and_prefilter(photo_index):
    searcher = VibeSearcher(photo_index[0])
    first = searcher.search("harsh black and white contrast", k=4)[0]
    assert first.movie_id == 1
    assert "CLIP: semantic match unavailable" in first.reason
    assert first.best_frames and first.best_frames[0]["frame_id"] in {"1_camera", "1_coins"}
    assert searcher.search("cold blue", k=1)[0].movie_id == 3
    filtered = searcher.search("black and white", k=4, where="year > 1990")
    assert 1 not in [r.movie_id for r in filtered] and filtered
    # metadata channel: a movie without frames is found by its title
    assert 4 in [r.movie_id for r in searcher.search("orange county comedy", k=2)]

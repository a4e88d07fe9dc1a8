"""Vibe search over real photos as frames: the index tables, palette words, prefilter, the
metadata channel, and the text -> image channels (label bridge, trained head) with the real
CNN's vectors and probabilities."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from ml.vibe.search import PRESET_SCHEMA, VibeSearcher, results_table
from ml.vibe.tables import HEAD_FOLDER, build_index, stats_row
from ml.vision.colour import analyse
from ml.vision.encoders import embeddings_table
from tests.vibe_media import photo, trained_head

PHOTO_MOVIES = {1: ["camera", "coins"], 2: ["coffee", "chelsea"], 3: ["rocket"]}
MOVIES = pl.DataFrame(
    {
        "item_id": [1, 2, 3, 4],
        "title": ["Grey Days", "Espresso", "Launch", "Orange County"],
        "year": [1950, 1999, 2011, 2002],
        "genres": [["Drama"], ["Comedy"], ["Documentary"], ["Comedy"]],
    }
)


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
    assert "CLIP: off (no CLIP weights configured)" in first.reason
    # Random vectors and no class probabilities: the label bridge has nothing to read.
    assert "labels: unavailable" in first.reason and "labels" not in first.channels
    assert first.best_frames and first.best_frames[0]["frame_id"] in {"1_camera", "1_coins"}
    assert searcher.search("cold blue", k=1)[0].movie_id == 3
    filtered = searcher.search("black and white", k=4, where="year > 1990")
    assert 1 not in [r.movie_id for r in filtered] and filtered
    # metadata channel: a movie without frames is found by its title
    assert 4 in [r.movie_id for r in searcher.search("orange county comedy", k=2)]


@pytest.fixture(scope="module")
def cnn_index(tmp_path_factory, cnn):
    """The same photos embedded by the real CNN (vectors, probabilities), with the head."""
    root = tmp_path_factory.mktemp("vibe-cnn")
    rows = [(f"{m}_{n}", m, n) for m, names in PHOTO_MOVIES.items() for n in names]
    frames = pl.DataFrame(
        {
            "frame_id": [r[0] for r in rows],
            "movie_id": [r[1] for r in rows],
            "frame_index": [0] * len(rows),
            "timestamp": [float(i) for i in range(len(rows))],
            "kind": ["uniform"] * len(rows),
            "thumbnail": [f"/thumbs/{r[2]}.jpg" for r in rows],
        }
    )
    images = [photo(r[2]) for r in rows]
    embeddings = embeddings_table(frames, cnn.encode(images))
    analytics = pl.DataFrame(
        [stats_row(analyse(im), frame_id=r[0], movie_id=r[1]) for im, r in zip(images, rows)]
    )
    info = build_index(root, frames, analytics, embeddings, MOVIES, head=trained_head())
    return root, info


def test_text_to_image_channels_find_the_coffee(cnn_index):
    root, info = cnn_index
    assert info["label_probs"] and info["text_image_head"] and (root / HEAD_FOLDER).is_dir()
    searcher = VibeSearcher(root)
    assert searcher.head is not None and searcher.bridge is not None
    results = searcher.search("cup of coffee", k=4)
    first = results[0]
    assert first.movie_id == 2 and first.title == "Espresso"
    assert first.channels["labels"] > 0.1 and first.channels["projection"] > 0.05
    others = [r for r in results if r.movie_id in (1, 3)]
    assert all(r.channels["labels"] < 0.01 for r in others)
    assert "espresso 0.86" in first.reason and "query ~ coffee mug" in first.reason
    assert "image head:" in first.reason
    # "coffee" is a colour word too (the colour channel likes the cat's browns): both frames
    # are shown, the coffee photo among them.
    assert "2_coffee" in [f["frame_id"] for f in first.best_frames]
    rows = results_table("cup of coffee", results)
    frame = pl.DataFrame(rows, schema=PRESET_SCHEMA)
    assert frame["label_score"][0] == first.channels["labels"]
    assert frame["projection_score"][0] == first.channels["projection"]
    cat = searcher.search("a cat", k=1)[0]
    assert cat.movie_id == 2 and "tabby" in cat.reason


def test_a_query_that_names_no_class_leaves_the_image_channels_out(cnn_index):
    searcher = VibeSearcher(cnn_index[0])
    results = searcher.search("dark neon cyberpunk vibe", k=3)
    assert results and all("labels" not in r.channels for r in results)
    assert all("projection" not in r.channels for r in results)
    assert all("labels: the query names no ImageNet class" in r.reason for r in results)


def test_a_head_of_another_space_is_not_used(photo_index):
    # The random-vector index: its frames have no CNN encoder, so the head would not fit.
    searcher = VibeSearcher(photo_index[0], head=trained_head())
    assert searcher.head is None and searcher.bridge is None


def test_frames_of_a_movie_outside_the_catalogue_are_left_out(tmp_path):
    """A trailer configured for a title the release no longer has: its frames are counted,
    not indexed, so a query that matches them best still returns catalogue movies only."""
    import skimage.data

    frames, analytics, vectors = [], [], []
    for movie, name in ((1, "camera"), (99, "coffee"), (99, "chelsea")):
        image = getattr(skimage.data, name)()
        image = np.stack([image] * 3, -1) if image.ndim == 2 else image[..., :3]
        fid = f"{movie}_{name}"
        frames.append((fid, movie, 0, 1.0, "uniform", f"/thumbs/{name}.jpg"))
        analytics.append(stats_row(analyse(image), frame_id=fid, movie_id=movie))
        vectors.append(np.eye(8, dtype=np.float32)[len(vectors)])
    frames = pl.DataFrame(
        frames,
        orient="row",
        schema=["frame_id", "movie_id", "frame_index", "timestamp", "kind", "thumbnail"],
    )
    embeddings = pl.DataFrame(
        {
            "frame_id": frames["frame_id"],
            "movie_id": frames["movie_id"],
            "vector": [v.tolist() for v in vectors],
            "tags": [[]] * frames.height,
        },
        schema_overrides={"vector": pl.List(pl.Float32), "tags": pl.List(pl.String)},
    )
    info = build_index(tmp_path, frames, pl.DataFrame(analytics), embeddings, MOVIES)
    assert (info["frames"], info["frames_not_in_catalogue"]) == (1, 2)
    assert info["movies_not_in_catalogue"] == [99]
    # The coffee frames are the warm-brown match; their movie is not served, nor a KeyError.
    found = VibeSearcher(tmp_path).search("warm brown coffee tones", k=4)
    assert found and all(r.movie_id in MOVIES["item_id"].to_list() for r in found)

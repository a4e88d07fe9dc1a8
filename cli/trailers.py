"""``cine trailers add FILE (--movie ID | --title T [--year Y])`` and ``cine trailers list``.

``add`` checks that the file is a video a frame can be decoded from, then puts it where the
next run finds it (``<home>/trailers``: ``<movie_id>_<name>.<ext>`` for ``--movie``, a
manifest row for ``--title``). ``list`` shows every trailer the next run will read, with what
the last run made of it. Exit 2 on a file that is missing, not named as a video, or not a
video.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

from cli.home import home_path
from cli.text import terminal_safe


def register(subparsers) -> None:
    """Add the ``trailers`` command to ``cine``'s subparsers."""
    parser = subparsers.add_parser("trailers", help="add trailer files, list the trailers")
    actions = parser.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add a trailer file for a movie")
    add.add_argument("file", help="a video file (.mp4, .avi, .mkv, .webm, .mov, ...)")
    which = add.add_mutually_exclusive_group(required=True)
    which.add_argument("--movie", type=int, help="the MovieLens movie id")
    which.add_argument("--title", help="the film's title, matched against the catalogue")
    add.add_argument("--year", type=int, help="with --title: the film's year")
    add.add_argument("--home", default=None, help="home folder (default $CINE_HOME)")
    add.set_defaults(func=cmd_add)
    show = actions.add_parser("list", help="the trailers the next run reads")
    show.add_argument("--home", default=None, help="home folder (default $CINE_HOME)")
    show.set_defaults(func=cmd_list)


def _fail(message: str) -> int:
    print(f"cine trailers add: {terminal_safe(message)}", file=sys.stderr)
    return 2


def cmd_add(args: argparse.Namespace) -> int:
    from ml.vision.frames import NotAVideo, probe_video
    from ml.vision.trailers import MANIFEST_NAME, VIDEO_SUFFIXES

    source = Path(args.file).expanduser()
    if not source.is_file():
        return _fail(f"{source}: no such file")
    if source.suffix.lower() not in VIDEO_SUFFIXES:
        return _fail(
            f"{source}: not named as a video ({', '.join(sorted(VIDEO_SUFFIXES))}); "
            "rename it if it is one"
        )
    if args.year is not None and args.title is None:
        return _fail("--year goes with --title")
    try:
        info = probe_video(source)
    except NotAVideo as error:
        return _fail(f"{source} is not a video: {error}")
    folder = home_path(args.home) / "trailers"
    folder.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^A-Za-z0-9]+", "_", source.stem).strip("_").lower() or "trailer"
    if args.movie is not None:
        if args.movie <= 0:
            return _fail(f"--movie {args.movie}: a movie id is a positive integer")
        target = folder / f"{args.movie}_{slug}{source.suffix.lower()}"
        who = f"movie {args.movie}"
    else:
        target = folder / f"{slug}{source.suffix.lower()}"
        who = f"{args.title}" + (f" ({args.year})" if args.year else "")
    if target.exists() and target.read_bytes() != source.read_bytes():
        return _fail(f"{target} exists with other content; remove it first")
    shutil.copyfile(source, target)
    if args.title is not None:
        _list_in_manifest(folder / MANIFEST_NAME, target.name, args.title, args.year)
    seconds = f"{info.duration:.1f} s, " if info.duration else ""
    print(
        f"trailers: {target} for {terminal_safe(who)} ({seconds}{info.width}x{info.height} "
        f"{info.codec}); the next `cine run` (or `cine run --job vibe_refresh`) indexes it"
    )
    return 0


def _list_in_manifest(manifest: Path, name: str, title: str, year: int | None) -> None:
    import polars as pl

    row = pl.DataFrame({"source": [name], "title": [title], "year": [year]}, strict=False)
    if manifest.exists():
        listed = pl.read_csv(manifest, infer_schema=False)
        listed = listed.filter(pl.col("source") != name) if "source" in listed.columns else listed
        row = pl.concat([listed, row.cast(pl.String)], how="diagonal")
    row.cast(pl.String).write_csv(manifest)


def cmd_list(args: argparse.Namespace) -> int:
    import polars as pl

    from ml.vision.trailers import find_trailers

    home = home_path(args.home)
    try:
        found = find_trailers(home / "trailers")
    except ValueError as error:  # a manifest that is not one
        print(f"cine trailers list: {terminal_safe(error)}", file=sys.stderr)
        return 2
    if found.is_empty():
        print(f"no trailers under {home / 'trailers'}; add one with `cine trailers add FILE`")
        return 0
    last = home / "tables" / "trailer_extractions.parquet"
    status = {}
    if last.exists():
        for source, frames, error in (
            pl.read_parquet(last).select("source", "frames", "error").rows()
        ):
            status[source] = f"not usable: {error}" if error else f"{frames} frames"
    for movie_id, source, title, year in found.select("movie_id", "source", "title", "year").rows():
        who = f"movie {movie_id}" if movie_id is not None else f"{title} ({year or '?'})"
        seen = status.get(source, "not read by a run yet")
        print(f"{terminal_safe(who):<32} {terminal_safe(Path(source).name):<40} {seen}")
    return 0

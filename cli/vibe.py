"""``cine vibe "query" --k 10 [--where "year > 1990"] [--home DIR] [--json]``.

Searches the vibe index the last run wrote (``<home>/tables/vibe_index.json`` names it and the
CLIP weights it was built with). Exit 0 with results, 1 when the index does not exist yet,
2 on a bad ``--where``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cli.home import home_from
from cli.text import terminal_safe


def register(subparsers) -> None:
    """Add the ``vibe`` command to ``cine``'s subparsers."""
    parser = subparsers.add_parser("vibe", help="search movies by how they look")
    parser.add_argument("query", help='e.g. "neon lights reflecting on wet streets"')
    parser.add_argument("--k", type=int, default=10, help="results to show (default 10)")
    parser.add_argument("--where", default=None, help='SQL filter, e.g. "year > 1990"')
    parser.add_argument("--home", default=None, help="home folder (default $CINE_HOME)")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    parser.set_defaults(func=cmd_vibe)


def _is_filter_error(error: BaseException) -> bool:
    """Whether LanceDB rejected the SQL filter (as opposed to failing to read the data)."""
    text = str(error).lower()
    return isinstance(error, ValueError) or any(
        word in text for word in ("sql", "parse", "filter", "no field named", "schema error")
    )


def cmd_vibe(args: argparse.Namespace) -> int:
    from publish.releases import current_release

    home = Path(home_from(args.home)).expanduser().resolve()
    # The served index is the published one: a run that was blocked never replaces it.
    release = current_release(home / "published")
    record = None if release is None else release / "vibe_index.json"
    if record is None or not record.exists() or not (release / "lancedb").is_dir():
        print(
            f"cine vibe: no published vibe index under {home}; run `cine run` first",
            file=sys.stderr,
        )
        return 1
    info = json.loads(record.read_text())
    from ml.vibe.search import VibeSearcher

    clip = None
    if info.get("clip_pretrained"):
        from ml.vision.clip import ClipEncoder

        clip = ClipEncoder(info["clip_model"], info["clip_pretrained"])
    try:
        searcher = VibeSearcher(str(release / "lancedb"), clip=clip)
        results = searcher.search(args.query, k=args.k, where=args.where)
    except Exception as error:  # noqa: BLE001 - a bad --where or an unreadable index
        if args.where and _is_filter_error(error):
            print(f"cine vibe: --where {args.where!r}: {terminal_safe(error)}", file=sys.stderr)
            return 2
        if args.debug:
            raise
        print(
            f"cine vibe: the published vibe index {release / 'lancedb'} cannot be read "
            f"({type(error).__name__}: {' '.join(str(error).split())[:200]}); run `cine run` "
            "to build it again, or `cine db rollback --version N` to serve a kept version",
            file=sys.stderr,
        )
        return 1
    if args.json:
        print(json.dumps([r.__dict__ for r in results], indent=2, default=str))
        return 0
    if clip is None:
        image = "the ImageNet label bridge and the text -> image head"
        channels = f"colour words, metadata, {image}" if searcher.head else "colour words, metadata"
        print(f"note: no CLIP weights configured; ranking uses {channels}")
    for rank, r in enumerate(results, start=1):
        year = f" ({r.year})" if r.year else ""
        title = terminal_safe(r.title)
        print(f"{rank:>2}. {title}{year}  score {r.score:.3f}  [movie {r.movie_id}]")
        print(f"    {terminal_safe(r.reason)}")
        for frame in r.best_frames:
            print(f"    frame {frame['timestamp']:.1f}s  {frame['thumbnail']}")
    return 0

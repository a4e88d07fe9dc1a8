"""``cine coldstart --liked "The Matrix" "Inception" | --text "..." | --genres G.. [--mood M]``.

Content-only recommendations for a new user from the embeddings the last run wrote
(``<home>/models/content_embeddings``, ``<home>/tables/movies.parquet``). Exit 0 with
results, 1 when no run has written them yet, 2 on bad usage or unknown titles (the message
names the closest catalogue titles).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cli.home import home_from
from cli.text import terminal_safe


def register(subparsers) -> None:
    """Add the ``coldstart`` command to ``cine``'s subparsers."""
    parser = subparsers.add_parser("coldstart", help="recommend for a new user (no ratings)")
    how = parser.add_mutually_exclusive_group(required=True)
    how.add_argument("--liked", nargs="+", metavar="TITLE", help='e.g. "The Matrix" Inception')
    how.add_argument("--text", help='free text, e.g. "slow, melancholic sci-fi"')
    how.add_argument("--genres", nargs="+", metavar="GENRE", help="e.g. Horror Thriller")
    parser.add_argument("--mood", default="", help="with --genres: e.g. 'dark and unsettling'")
    parser.add_argument("--k", type=int, default=10, help="results to show (default 10)")
    parser.add_argument("--home", default=None, help="home folder (default $CINE_HOME)")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    parser.set_defaults(func=cmd_coldstart)


def cmd_coldstart(args: argparse.Namespace) -> int:
    home = Path(home_from(args.home)).expanduser().resolve()
    emb_path = home / "models" / "content_embeddings"
    movies_path = home / "tables" / "movies.parquet"
    from ml import artifacts

    if not artifacts.exists(emb_path) or not movies_path.exists():
        print(f"cine coldstart: no content embeddings under {home}; run `cine run` first",
              file=sys.stderr)  # fmt: skip
        return 1
    import polars as pl

    from ml.content.coldstart import ColdStart, UnknownTitles, popularity_of
    from ml.content.embeddings import ContentEmbeddings

    ratings_path = home / "tables" / "ratings.parquet"
    popularity = popularity_of(pl.read_parquet(ratings_path)) if ratings_path.exists() else {}
    cold = ColdStart(ContentEmbeddings.load(emb_path), pl.read_parquet(movies_path), popularity)
    try:
        if args.liked:
            out = cold.from_liked(args.liked, args.k)
        elif args.text:
            out = cold.from_text(args.text, args.k)
        else:
            out = cold.from_genres(args.genres, args.mood, args.k)
    except UnknownTitles as error:
        print(f"cine coldstart: {terminal_safe(error)}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(out.to_dicts(), indent=2, ensure_ascii=False))
        return 0
    for row in out.iter_rows(named=True):
        title = terminal_safe(row["title"])
        print(f"{row['rank']:>2}. {title}  score {row['score']:.3f}  [movie {row['item_id']}]")
        print(f"    {terminal_safe(row['reason'])}")
    return 0

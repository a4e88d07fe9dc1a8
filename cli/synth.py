"""``cine synth --ratings 25000000 --out DIR [--users N] [--movies N] [--seed S] [--json]``.

Writes a SYNTHETIC MovieLens-shaped release (ml-latest CSV layout, labelled synthetic in its
README.txt) for benchmarks and scale tests: ``cine run --movielens DIR`` reads it as it reads
ml-25m. Exit 0 once written, 2 on sizes that cannot be met.
"""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers) -> None:
    """Add the ``synth`` command to ``cine``'s subparsers."""
    parser = subparsers.add_parser(
        "synth", help="write a synthetic MovieLens-shaped release (benchmarks only)"
    )
    parser.add_argument("--ratings", type=int, required=True, help="rows of ratings.csv")
    parser.add_argument("--out", required=True, help="folder to write the release into")
    parser.add_argument("--users", type=int, help="default: ML-25M's ratings per user")
    parser.add_argument("--movies", type=int, help="default: grows as ratings ** 0.45")
    parser.add_argument("--seed", type=int, default=0, help="same seed, same files (default 0)")
    parser.add_argument("--json", action="store_true", help="print what was written as JSON")
    parser.set_defaults(func=cmd_synth)


def cmd_synth(args: argparse.Namespace) -> int:
    from ml.data.synthetic import write_release

    try:
        made = write_release(
            args.out, args.ratings, users=args.users, movies=args.movies, seed=args.seed
        )
    except ValueError as error:
        print(f"cine synth: {error}", file=sys.stderr)
        return 2
    summary = {
        "path": str(made.path),
        "ratings": made.ratings,
        "users": made.users,
        "movies": made.movies,
        "rated_movies": made.rated_movies,
        "seed": made.seed,
        "seconds": round(made.seconds, 1),
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"wrote SYNTHETIC release {made.path}: {made.ratings:,} ratings by {made.users:,} "
            f"users of {made.movies:,} movies (seed {made.seed}) in {made.seconds:.1f} s"
        )
    return 0

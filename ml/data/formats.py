"""Parsers for the on-disk layouts of the official MovieLens releases.

Each parser turns a release into two *staged* frames of strings, one row per
non-blank data line, which :mod:`ml.data.readers` validates, casts and quarantines:

- ratings, shape (n_lines, 8): ``line`` Int64, ``raw`` Utf8, ``source_file`` Utf8,
  ``parsed`` Boolean, ``user_id`` / ``item_id`` / ``rating`` / ``timestamp`` Utf8
- movies, shape (n_lines, 8): ``line``, ``raw``, ``source_file``, ``parsed``,
  ``item_id`` Utf8, ``title`` Utf8 (year removed), ``year`` Int32, ``genres`` List(Utf8)

``parsed`` is False when a line has the wrong shape (field count, CSV quoting, genre
flags); its value columns are then meaningless. Files are split into lines by polars
rather than Python loops, because ml-25m has 25 million rating lines.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import polars as pl

TITLE_YEAR_PATTERN = r"^(?P<title>.*?)\s*\((?P<year>[0-9]{4})\)\s*$"
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


class MovieLensFormatError(ValueError):
    """A MovieLens source that cannot be read; the message names the file or path."""


class Release:
    """A MovieLens release on disk: a folder, or a zip with at most one top-level folder.

    Parameters
    ----------
    path : Path
        The folder or the ``.zip`` file; it must exist.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.is_zip = path.is_file()
        if path.is_dir():
            self.members = {p.name: p.name for p in path.iterdir() if p.is_file()}
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
            self.members = {}
            # Shallowest first, so a file at the root wins over one in the top folder.
            for name in sorted(names, key=lambda n: n.count("/")):
                parts = name.split("/")
                if name.endswith("/") or parts[0] == "__MACOSX" or len(parts) > 2:
                    continue
                self.members.setdefault(parts[-1], name)
        else:
            raise MovieLensFormatError(f"{path}: neither a folder nor a zip archive")

    def label(self, name: str) -> str:
        """Return the ``source_file`` text for file ``name`` of this release."""
        if self.is_zip:
            return f"{self.path}:{self.members[name]}"
        return str(self.path / name)

    def read_lines(self, name: str, encoding: str) -> pl.DataFrame:
        """Read file ``name`` as lines.

        Returns
        -------
        pl.DataFrame
            Shape (n_non_blank_lines, 3): ``line`` Int64 (1-based physical line),
            ``raw`` Utf8 (without the line break), ``source_file`` Utf8. Blank lines
            are not rows, so they are left out.
        """
        if self.is_zip:
            with zipfile.ZipFile(self.path) as archive:
                data = archive.read(self.members[name])
        else:
            data = (self.path / name).read_bytes()
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise MovieLensFormatError(f"{self.label(name)}: not {encoding} text ({exc})") from exc
        del data
        lines = pl.Series("raw", [text]).str.split("\n").explode()
        del text
        return (
            lines.to_frame()
            .with_row_index("line", offset=1)
            .select(
                pl.col("line").cast(pl.Int64),
                pl.col("raw").str.strip_chars_end("\r"),
                pl.lit(self.label(name)).alias("source_file"),
            )
            .filter(pl.col("raw").str.strip_chars() != "")
        )


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


def _header(lines: pl.DataFrame, label: str) -> tuple[str, pl.DataFrame]:
    if lines.is_empty() or lines["line"][0] != 1:
        raise MovieLensFormatError(f"{label}: missing header line")
    return lines["raw"][0], lines.slice(1)


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
    header, lines = _header(release.read_lines(ratings, "utf-8"), release.label(ratings))
    if header.strip() != "userId,movieId,rating,timestamp":
        raise MovieLensFormatError(f"{release.label(ratings)}: unexpected header {header!r}")
    rating_lines = _split(lines, ",", list(RATING_FIELDS))
    header, lines = _header(release.read_lines(movies, "utf-8"), release.label(movies))
    if header.strip() != "movieId,title,genres":
        raise MovieLensFormatError(f"{release.label(movies)}: unexpected header {header!r}")
    # Only the title may hold commas (then it is quoted), so id and genres are the
    # first and last fields and everything between is the title.
    groups = pl.col("raw").str.extract_groups(r"^([^,]*),(.*),([^,]*)$")
    field = groups.struct.field("2").str.strip_chars()
    quoted = field.str.starts_with('"') & field.str.ends_with('"') & (field.str.len_chars() >= 2)
    title = (
        pl.when(quoted)
        .then(field.str.slice(1, field.str.len_chars() - 2).str.replace_all('""', '"'))
        .otherwise(field)
    )
    lines = lines.with_columns(
        (groups.struct.field("1").is_not_null() & (quoted | ~field.str.contains('[,"]'))).alias(
            "parsed"
        ),
        groups.struct.field("1").str.strip_chars().alias("item_id"),
        title.alias("title_raw"),
        genre_list(groups.struct.field("3"), "|").alias("genres"),
    )
    return rating_lines, _movies_frame(lines, pl.col("title_raw"), None)


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


def stage_release(release: Release) -> tuple[str, str, pl.DataFrame, pl.DataFrame]:
    """Detect the layout of ``release`` and stage its files.

    Returns
    -------
    tuple
        ``(dataset, description, ratings, movies)``: dataset is "ml-100k", "ml-1m" or
        "ml-latest"; ratings and movies are the staged frames of the module docstring.
    """
    layout, ratings, movies = detect_layout(release)
    stage = {
        "ml-100k": _stage_100k,
        "ml-1m": _stage_1m,
        "ml-latest": _stage_latest,
        "recbole": _stage_recbole,
    }[layout]
    rating_lines, movie_lines = stage(release, ratings, movies)
    kind = "zip" if release.is_zip else "folder"
    if layout == "recbole":
        # RecBole names its atomic files after the release ("ml-100k.inter").
        stem = ratings.removesuffix(".inter")
        dataset = stem if stem in ("ml-100k", "ml-1m") else "ml-latest"
        description = f"RecBole atomic files {stem} {kind} {release.path}"
    else:
        dataset = layout
        description = f"{layout} {kind} {release.path}"
    columns = ["line", "raw", "source_file", "parsed", *RATING_FIELDS]
    return dataset, description, rating_lines.select(columns), movie_lines

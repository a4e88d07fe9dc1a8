"""Reading a MovieLens release's files: a folder or zip, its encodings, BOMs and line ends.

``Release`` opens a folder or an official zip (at most one top-level folder) and reads a
file as text (``read_text``: a byte-order mark decides the encoding, CRLF and CR line ends
are normalised and noted), as physical lines (``read_lines``, for the rating files: split by
polars) or as CSV records (``read_records``: quoted fields may hold line breaks; each record
keeps the physical line it starts on). Every failure is a ``MovieLensFormatError`` whose
one-line message names the file.
"""

from __future__ import annotations

import codecs
import csv
import zipfile
import zlib
from pathlib import Path

import polars as pl


class MovieLensFormatError(ValueError):
    """A MovieLens source that cannot be read; the message names the file or path."""


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

    def read_bytes(self, name: str) -> bytes:
        """The bytes of file ``name``, undecoded (a zip member unzipped)."""
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
        label, data = self.label(name), self.read_bytes(name)
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
        schema = {"line": pl.Int64, "raw": pl.String, "parsed": pl.Boolean}
        schema |= {f: pl.String for f in fields}
        frame = _one_line_records(lines, fields, schema)
        if frame is None:
            rows = _csv_records([s + "\n" for s in lines[:-1]] + lines[-1:], len(fields))
            frame = pl.DataFrame(rows, schema=schema, orient="row")
        return frame.select(
            "line", "raw", pl.lit(self.label(name)).alias("source_file"), "parsed", *fields
        )


def _one_line_records(lines: list[str], fields: list[str], schema: dict) -> pl.DataFrame | None:
    """The records of a file whose every line is one record of ``len(fields)`` fields, parsed
    by csv in one call; None for any other file (a quoted line break, a blank or short line,
    a quoting error), which ``_csv_records`` then reads record by record. Both give the
    same rows where this one applies; this one costs a few microseconds a record, not tens.
    """
    if lines and lines[-1] == "":
        lines = lines[:-1]
    try:
        records = list(csv.reader(lines, strict=True))
    except csv.Error:
        return None
    # A record spanning lines makes fewer records than lines.
    if len(records) != len(lines) or any(len(r) != len(fields) for r in records):
        return None
    columns = list(zip(*records)) if records else [()] * len(fields)
    frame = pl.DataFrame(
        {
            "line": range(1, len(lines) + 1),
            "raw": pl.Series(lines, dtype=pl.String).str.strip_suffix("\r"),
            "parsed": [True] * len(lines),
            **dict(zip(fields, columns)),
        },
        schema=schema,
    )
    return frame


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

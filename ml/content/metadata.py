"""Movie metadata: the CC0 OMDb table of PyPI ``bokeh-sampledata`` joined to MovieLens.

MovieLens titles put articles last and add alternate titles in parentheses
(``"Crouching Tiger, Hidden Dragon (Wo hu cang long)"``); OMDb spells titles as released
(``"Crouching Tiger, Hidden Dragon"``). Both sides are reduced to the same normalised keys,
joined on key with a release year within ±1, and each movie takes its closest match. A
movie that matches nothing is kept, with the reason.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ml.data.titles import article_first, normalise

YEAR_TOLERANCE = 1

METADATA_SCHEMA: dict[str, pl.DataType] = {
    "item_id": pl.Int64(),
    "title": pl.String(),
    "year": pl.Int32(),
    "genres": pl.List(pl.String()),
    "imdb_id": pl.String(),
    "director": pl.List(pl.String()),
    "writer": pl.List(pl.String()),
    "cast": pl.List(pl.String()),
    "runtime": pl.Float64(),
    "language": pl.String(),
    "country": pl.String(),
    "overview": pl.String(),
    "keywords": pl.List(pl.String()),
    # YouTube keys of the movie's TMDb trailers: where to find footage, never fetched here.
    "trailer_keys": pl.List(pl.String()),
    "source": pl.String(),
    "match": pl.String(),
}


def omdb_path() -> Path:
    """``movies.db`` inside the installed ``bokeh_sampledata`` package (table ``omdb``)."""
    import bokeh_sampledata

    path = Path(bokeh_sampledata.__file__).parent / "_data" / "movies.db"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: reinstall bokeh-sampledata")
    return path


def _split(col: str) -> pl.Expr:
    return (
        pl.col(col)
        .fill_null("")
        .str.split(",")
        .list.eval(pl.element().str.strip_chars())
        .list.eval(pl.element().filter(pl.element() != ""))
    )


def read_omdb(path: Path | None = None) -> pl.DataFrame:
    """The OMDb film table: one row per film, list columns split on commas."""
    with sqlite3.connect(f"file:{path or omdb_path()}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            'SELECT imdbID, Title, Year, Genre, Director, Writer, "Cast", Runtime, Language, '
            "Country, imdbVotes FROM omdb"
        ).fetchall()
    columns = ["imdb_id", "omdb_title", "omdb_year", "omdb_genre", "director", "writer", "cast"]
    columns += ["runtime", "language", "country", "votes"]
    frame = pl.DataFrame(rows, schema=columns, orient="row", infer_schema_length=None)
    return frame.with_columns(
        _split("director"),
        _split("writer"),
        _split("cast"),
        _split("omdb_genre"),
        pl.col("omdb_year").cast(pl.Int32),
        pl.col("runtime").cast(pl.Float64),
        pl.col("votes").cast(pl.Int64).fill_null(0),
    )


def title_keys(title: str) -> list[str]:
    """Normalised keys of a MovieLens title: the main title first, then alternates.

    ``"Crouching Tiger, Hidden Dragon (Wo hu cang long)"`` gives the keys of
    ``"Crouching Tiger, Hidden Dragon"`` and ``"Wo hu cang long"``; an ``a.k.a.`` prefix
    inside the parentheses is dropped; each key with its article moved to the front.
    """
    parts = re.findall(r"\(([^()]*)\)", title)
    main = re.sub(r"\s*\([^()]*\)", "", title).strip() or title
    return [key for key, _ in _keyed_parts(main, parts)]


def _keyed_parts(main: str, parts: list[str]) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for part, name in enumerate([main, *parts]):
        name = re.sub(r"^(a\.k\.a\.|aka)\s+", "", name.strip(), flags=re.IGNORECASE)
        for variant in (article_first(name), name):
            key = normalise(variant)
            if key and key not in {k for k, _ in out}:
                out.append((key, part))
    return out


def _key_rows(title: str) -> list[dict]:
    parts = re.findall(r"\(([^()]*)\)", title)
    main = re.sub(r"\s*\([^()]*\)", "", title).strip() or title
    return [{"key": k, "key_rank": r} for k, r in _keyed_parts(main, parts)]


@dataclass(frozen=True)
class MetadataJoin:
    """Movies with OMDb facts, the ones without and why, and the share matched."""

    metadata: pl.DataFrame
    unmatched: pl.DataFrame
    match_rate: float

    def match_counts(self) -> dict[str, int]:
        counts = self.metadata.group_by("match").len().iter_rows()
        return {m or "unmatched": int(n) for m, n in counts}


def join_omdb(movies: pl.DataFrame, omdb: pl.DataFrame | None = None) -> MetadataJoin:
    """Join MovieLens ``movies`` (item_id, title, year, genres) to the OMDb table.

    Returns
    -------
    MetadataJoin
        ``metadata``: one row per movie (``METADATA_SCHEMA``), matched or not (OMDb
        columns null when not); ``match`` is ``exact``, ``year±1`` or ``alternate title``.
        ``unmatched``: item_id, title, year, reason. ``match_rate``: matched / movies.
    """
    omdb = read_omdb() if omdb is None else omdb
    keys = movies.select(
        "item_id",
        "year",
        pl.col("title")
        .map_elements(
            _key_rows,
            return_dtype=pl.List(pl.Struct({"key": pl.String, "key_rank": pl.Int64})),
        )
        .alias("_k"),
    )
    keys = keys.explode("_k").drop_nulls("_k").unnest("_k")
    omdb_keys = omdb.with_columns(
        pl.col("omdb_title")
        .map_elements(lambda t: normalise(article_first(t)), return_dtype=pl.String)
        .alias("key")
    )
    pairs = keys.join(omdb_keys, on="key").with_columns(
        (pl.col("omdb_year") - pl.col("year")).abs().alias("year_gap")
    )
    near = pairs.filter(pl.col("year_gap") <= YEAR_TOLERANCE)
    best = near.sort(
        ["item_id", "year_gap", "key_rank", "votes"], descending=[False, False, False, True]
    )
    best = best.unique("item_id", keep="first").with_columns(
        pl.when(pl.col("key_rank") >= 1)
        .then(pl.lit("alternate title"))
        .when(pl.col("year_gap") > 0)
        .then(pl.lit("year±1"))
        .otherwise(pl.lit("exact"))
        .alias("match")
    )
    metadata = movies.join(
        best.select(
            "item_id", "imdb_id", "director", "writer", "cast", "runtime", "language",
            "country", "match",
        ),
        on="item_id",
        how="left",
    ).with_columns(
        pl.lit(None, dtype=pl.String).alias("overview"),
        pl.lit(None, dtype=pl.List(pl.String)).alias("keywords"),
        pl.lit(None, dtype=pl.List(pl.String)).alias("trailer_keys"),
        pl.when(pl.col("match").is_not_null()).then(pl.lit("omdb")).alias("source"),
    )  # fmt: skip
    metadata = metadata.select([pl.col(c).cast(t) for c, t in METADATA_SCHEMA.items()]).sort(
        "item_id"
    )
    unmatched = _unmatched(movies, best, pairs)
    rate = best.height / movies.height if movies.height else 0.0
    return MetadataJoin(metadata, unmatched, rate)


def _unmatched(movies: pl.DataFrame, best: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    missing = movies.join(best.select("item_id"), on="item_id", how="anti")
    title_seen = pairs.group_by("item_id").agg(
        pl.col("omdb_year").unique().sort().cast(pl.String).str.join(", ").alias("years")
    )
    out = missing.join(title_seen, on="item_id", how="left").with_columns(
        pl.when(pl.col("year").is_null())
        .then(pl.lit("no release year to match on"))
        .when(pl.col("years").is_not_null())
        .then(pl.format("title found in OMDb only for year(s) {}", pl.col("years")))
        .otherwise(pl.lit("title not in the OMDb table"))
        .alias("reason")
    )
    return out.select("item_id", "title", "year", "reason").sort("item_id")


def with_tmdb(metadata: pl.DataFrame, tmdb: pl.DataFrame) -> pl.DataFrame:
    """Overlay TMDb facts (from ``ml.content.tmdb.records_frame``) on the OMDb metadata.

    TMDb's overview and keywords are added; its director, writers and billed cast replace
    OMDb's where TMDb has them (TMDb orders cast by billing; OMDb's list is alphabetical).
    """
    if tmdb.is_empty():
        return metadata
    t = tmdb.select(
        "item_id",
        pl.col("overview").alias("_overview"),
        pl.col("keywords").alias("_keywords"),
        pl.col("directors").alias("_director"),
        pl.col("writers").alias("_writer"),
        pl.col("cast").alias("_cast"),
        pl.col("trailer_keys").alias("_trailer_keys"),
    )
    nonempty = lambda c: pl.when(pl.col(f"_{c}").list.len() > 0).then(f"_{c}").otherwise(c)  # noqa: E731
    out = metadata.join(t, on="item_id", how="left").with_columns(
        pl.coalesce("_overview", "overview").alias("overview"),
        pl.coalesce("_keywords", "keywords").alias("keywords"),
        nonempty("director").alias("director"),
        nonempty("writer").alias("writer"),
        nonempty("cast").alias("cast"),
        pl.coalesce("_trailer_keys", "trailer_keys").alias("trailer_keys"),
        pl.when(pl.col("_overview").is_not_null())
        .then(pl.concat_str(pl.col("source").fill_null("none"), pl.lit("+tmdb")))
        .otherwise("source")
        .alias("source"),
    )
    return out.select(list(METADATA_SCHEMA))

"""The vibe index's tables: per-frame analytics and embeddings, per-movie aggregates, LanceDB.

Contracts (polars):

- frames: ``frame_id, movie_id, frame_index, timestamp, kind, thumbnail``
- frame analytics: ``frame_id, movie_id, palette`` (k*3 CIELAB floats, most common first),
  ``palette_weights, palette_hex`` and the scalar fields of :class:`ml.vision.colour.ColourStats`
- image embeddings: ``frame_id, movie_id, vector`` (list of float32), ``tags, tag_scores``,
  optionally ``encoder`` and ``probs`` (the CNN's ImageNet softmax; see
  :data:`ml.vision.encoders.EMBEDDINGS_SCHEMA`)
- movies: ``item_id, title, year, genres`` (the ingest contract)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np
import polars as pl

from ml.vibe import index as vibe_index
from ml.vibe.visual import movie_vectors
from ml.vision import vocabulary
from ml.vision.colour import PALETTE_SIZE, ColourStats, aggregate, analyse, lab_to_hex
from ml.vision.frames import load_image
from ml.vision.imagenet import N_CLASSES
from ml.vision.projection import TextImageHead

STAT_FIELDS = (
    "brightness",
    "saturation",
    "contrast",
    "colourfulness",
    "warmth",
    "chroma_p95",
    "black_and_white",
)
TEXT_DIM = 384
#: The folder inside an index where the text -> image head travels with it.
HEAD_FOLDER = "text_image_head"


def frame_analytics_table(frames: pl.DataFrame, *, k: int = PALETTE_SIZE) -> pl.DataFrame:
    """Colour and light of every frame (read from its thumbnail)."""
    rows = []
    for frame_id, movie_id, thumbnail in frames.select("frame_id", "movie_id", "thumbnail").rows():
        rows.append(
            stats_row(analyse(load_image(thumbnail), k=k), frame_id=frame_id, movie_id=movie_id)
        )
    return pl.DataFrame(rows, schema=analytics_schema())


def analytics_schema() -> dict[str, pl.DataType]:
    return {
        "frame_id": pl.String,
        "movie_id": pl.Int64,
        "palette": pl.List(pl.Float64),
        "palette_weights": pl.List(pl.Float64),
        "palette_hex": pl.List(pl.String),
        **{name: pl.Boolean if name == "black_and_white" else pl.Float64 for name in STAT_FIELDS},
    }


def stats_row(stats: ColourStats, **keys: Any) -> dict[str, Any]:
    return {
        **keys,
        "palette": stats.palette.reshape(-1).tolist(),
        "palette_weights": stats.weights.tolist(),
        "palette_hex": [lab_to_hex(c) for c in stats.palette],
        **stats.fields(),
    }


def stats_from_row(row: dict[str, Any]) -> ColourStats:
    """A :class:`ColourStats` back from a table row (a dict with the analytics columns)."""
    return ColourStats(
        palette=np.asarray(row["palette"], dtype=np.float64).reshape(-1, 3),
        weights=np.asarray(row["palette_weights"], dtype=np.float64),
        **{name: row[name] for name in STAT_FIELDS},
    )


def movie_colour_table(analytics: pl.DataFrame, *, k: int = PALETTE_SIZE) -> pl.DataFrame:
    """One row per movie with frames: its aggregated palette and mean light fields."""
    rows = []
    for (movie_id,), group in analytics.group_by("movie_id", maintain_order=True):
        stats = aggregate([stats_from_row(r) for r in group.iter_rows(named=True)], k=k)
        rows.append(stats_row(stats, movie_id=movie_id, n_frames=group.height))
    schema = {**analytics_schema(), "n_frames": pl.Int64}
    del schema["frame_id"]
    return pl.DataFrame(rows, schema=schema)


def encode_text(texts: list[str], model=None) -> np.ndarray:
    """L2-normalised MiniLM embeddings ``(n, 384)`` float32.

    By default through ``ml.text.minilm``, the project's one MiniLM loader (the mean-pooled half
    of its embedding is the sentence-transformers embedding of a short text), so queries
    land in the same space as ``content_embeddings`` and the ImageNet class wordings of
    :mod:`ml.vision.vocabulary`; ``model`` is a SentenceTransformer to use instead.
    """
    if model is not None:
        return model.encode(texts, batch_size=128, normalize_embeddings=True).astype(np.float32)
    return vocabulary.sentence_vectors(list(texts))


def movie_text(title: str, year: int | None, genres: list[str] | None) -> str:
    """What the metadata channel of the search matches a query against."""
    genre_text = ", ".join(g for g in (genres or []) if g and g != "(no genres listed)")
    when = f" ({year})" if year else ""
    return f"{title}{when}. {genre_text}".strip()


def build_index(
    db_path: Path,
    frames: pl.DataFrame,
    analytics: pl.DataFrame,
    embeddings: pl.DataFrame,
    movies: pl.DataFrame,
    *,
    text_model=None,
    ann_min_rows: int = vibe_index.ANN_MIN_ROWS,
    clip_dim: int = 512,
    text_vectors_for: Callable[[np.ndarray], np.ndarray] | None = None,
    head: TextImageHead | None = None,
) -> dict[str, Any]:
    """Write the LanceDB tables ``frames`` and ``movies`` under ``db_path``.

    ``frames``: one row per frame with its movie's metadata (so ``year > 1990`` prefilters
    work on it), analytics, CLIP ``vector`` and tags. ``movies``: every movie, with a MiniLM
    ``text_vector`` of its title and genres, and for movies with frames the aggregated
    palette and light fields and the mean CLIP ``vector`` (zeros without frames; the search
    filters on ``has_trailer``). ``clip_dim`` sizes the vector columns when there is no
    frame at all. ``text_vectors_for(movie_ids) -> (n, 384)`` supplies MiniLM vectors
    already computed elsewhere (the content embeddings), so the catalogue is not encoded
    twice; without it the titles and genres are encoded here. The frames table also gets
    the frames' ``encoder`` and, when every frame has them, their ImageNet ``probs`` (a
    1000-d vector column, searched by the label bridge); ``head`` (the text -> image
    projection) is saved in ``db_path/HEAD_FOLDER``, so the index carries all a query needs.
    Returns the index plans and row counts.
    """
    meta = movies.select(
        pl.col("item_id").alias("movie_id"),
        "title",
        pl.col("year").cast(pl.Int32),
        pl.col("genres").list.join("|").alias("genres"),
    )
    dim = len(embeddings["vector"][0]) if embeddings.height else clip_dim
    if "encoder" not in embeddings.columns:
        embeddings = embeddings.with_columns(encoder=pl.lit(None, pl.String))
    with_probs = (
        "probs" in embeddings.columns
        and embeddings.height > 0
        and embeddings["probs"].null_count() == 0
    )
    columns = ["frame_id", "vector", "tags", "encoder"] + (["probs"] if with_probs else [])
    # Frames of a movie the catalogue does not have (a trailer configured for a title that
    # left the release) are not indexed: search could not name the movie, and apps could not
    # join it. They are counted in the result (``frames_not_in_catalogue``).
    frame_rows = (
        frames.select("frame_id", "movie_id", "timestamp", "kind", "thumbnail")
        .join(analytics.drop("movie_id"), on="frame_id")
        .join(embeddings.select(columns), on="frame_id")
    )
    unknown = frame_rows.join(meta, on="movie_id", how="anti")
    frame_rows = frame_rows.join(meta, on="movie_id", how="inner")
    known = meta.select("movie_id")
    analytics = analytics.join(known, on="movie_id", how="semi")
    embeddings = embeddings.join(known, on="movie_id", how="semi")
    frame_table = frame_rows.drop("vector", "probs", strict=False).to_arrow()
    vector_columns = ["vector"] + (["probs"] if with_probs else [])
    for column in vector_columns:
        matrix = np.asarray(frame_rows[column].to_list(), np.float32)
        width = dim if column == "vector" else N_CLASSES
        frame_table = frame_table.append_column(
            column, vibe_index.vector_array(matrix.reshape(-1, width))
        )
    per_movie = movie_colour_table(analytics).join(movie_vectors(embeddings), on="movie_id")
    movie_rows = meta.join(per_movie, on="movie_id", how="left").with_columns(
        has_trailer=pl.col("n_frames").is_not_null(),
        n_frames=pl.col("n_frames").fill_null(0),
    )
    if text_vectors_for is not None:
        text_vectors = text_vectors_for(movie_rows["movie_id"].to_numpy())
    else:
        texts = [
            movie_text(t, y, (g or "").split("|"))
            for t, y, g in movie_rows.select("title", "year", "genres").rows()
        ]
        text_vectors = encode_text(texts, text_model)
    clip = np.zeros((movie_rows.height, dim), dtype=np.float32)
    for i, vector in enumerate(movie_rows["vector"].to_list()):
        if vector is not None:
            clip[i] = vector
    movie_table = (
        movie_rows.drop("vector")
        .to_arrow()
        .append_column("vector", vibe_index.vector_array(clip))
        .append_column("text_vector", vibe_index.vector_array(text_vectors))
    )
    plans = {
        "frames": vibe_index.write_table(
            db_path,
            "frames",
            frame_table,
            vector_columns=vector_columns,
            ann_min_rows=ann_min_rows,
            scalar_columns=["movie_id"],
        ),
        "movies": vibe_index.write_table(
            db_path,
            "movies",
            movie_table,
            vector_columns=("vector", "text_vector"),
            ann_min_rows=ann_min_rows,
            # Only movies with frames have a frame vector (zeros otherwise; the search
            # filters on has_trailer): an ANN index over the zeros would cluster nothing.
            searched_rows={"vector": int(movie_rows["has_trailer"].sum())},
        ),
    }
    if head is not None:
        head.save(Path(db_path) / HEAD_FOLDER)
    db = vibe_index.connect(db_path)
    return {
        "path": str(db_path),
        "table_versions": {name: int(db.open_table(name).version) for name in plans},
        "frames": frame_table.num_rows,
        "movies": movie_table.num_rows,
        "movies_with_frames": int(movie_rows["has_trailer"].sum()),
        "frames_not_in_catalogue": unknown.height,
        "movies_not_in_catalogue": sorted(unknown["movie_id"].unique().to_list()),
        "clip_dim": dim,
        "label_probs": with_probs,
        "text_image_head": head is not None,
        "indexes": {name: [p.as_dict() for p in ps] for name, ps in plans.items()},
    }

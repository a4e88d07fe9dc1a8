"""What the frame embeddings say about films as a whole: "looks like this" neighbours and styles.

- :func:`movie_vectors`: a movie's visual DNA, the renormalised mean of its frames' unit
  embedding vectors.
- :func:`visual_similarity`: per movie with frames, the ``k`` movies whose DNA is closest
  (cosine), ties broken by the smaller id, so an app's "looks like this" row is stable.
- :func:`frame_styles`: k-means (seeded) over the frames' unit vectors; each cluster is named
  from what its frames share: the scene/style tags the CNN gave at least
  :data:`TAG_SHARE` of them (:mod:`ml.vision.imagenet`; never a tag no frame carries) and the
  cluster's mean light and colour (:data:`LIGHT_NAMES`).

Vectors of two encoders are never mixed: every function takes one embeddings table, whose
encoder it writes on each row (:func:`ml.vision.encoders.vector_space` refuses a mixed one).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import polars as pl

from ml.vision.encoders import vector_space

NEIGHBOURS = 10
STYLES = 8
#: A tag names a style when at least this share of its frames carry it.
TAG_SHARE = 0.4
MAX_STYLE_TAGS = 2
#: (word, field, op, threshold) on a cluster's mean field; "bw" is the share of
#: black-and-white frames. Brightness is mean L*/100, warmth in [-1, 1], colourfulness the
#: Hasler-Suesstrunk M (15: slightly, 60: very colourful), contrast the RMS of L*/100.
LIGHT_NAMES = (
    ("black-and-white", "bw", ">=", 0.5),
    ("dark", "brightness", "<", 0.3),
    ("bright", "brightness", ">", 0.6),
    ("high-contrast", "contrast", ">=", 0.3),
    ("warm", "warmth", ">=", 0.2),
    ("cool", "warmth", "<=", -0.2),
    ("muted", "colourfulness", "<", 15.0),
    ("vivid", "colourfulness", ">", 60.0),
)
_COLOUR_ONLY = {"warm", "cool", "muted", "vivid"}

SIMILARITY_SCHEMA = {
    "item_id": pl.Int64,
    "rank": pl.Int32,
    "neighbour_id": pl.Int64,
    "similarity": pl.Float64,
    "encoder": pl.String,
}
STYLE_SCHEMA = {
    "frame_id": pl.String,
    "movie_id": pl.Int64,
    "style_id": pl.Int32,
    "style": pl.String,
    "similarity": pl.Float64,
    "encoder": pl.String,
}


def movie_vectors(embeddings: pl.DataFrame) -> pl.DataFrame:
    """``movie_id, vector``: the unit mean of each movie's frame vectors, by movie id."""
    rows = []
    for (movie_id,), group in embeddings.group_by("movie_id", maintain_order=True):
        mean = np.asarray(group["vector"].to_list(), dtype=np.float32).mean(axis=0)
        norm = np.linalg.norm(mean)
        rows.append((movie_id, (mean / norm if norm > 0 else mean).tolist()))
    return pl.DataFrame(
        rows, schema={"movie_id": pl.Int64, "vector": pl.List(pl.Float32)}, orient="row"
    ).sort("movie_id")


def visual_similarity(embeddings: pl.DataFrame, k: int = NEIGHBOURS) -> pl.DataFrame:
    """``item_id, rank, neighbour_id, similarity, encoder``: each movie's ``k`` visually
    nearest movies (fewer when fewer movies have frames; none for a lone movie)."""
    encoder, _ = vector_space(embeddings)
    dna = movie_vectors(embeddings)
    ids = dna["movie_id"].to_numpy()
    k = min(k, len(ids) - 1)
    if k <= 0:
        return pl.DataFrame(schema=SIMILARITY_SCHEMA)
    matrix = np.asarray(dna["vector"].to_list(), dtype=np.float64)
    sims = matrix @ matrix.T
    rows = []
    for i, item in enumerate(ids):
        others = np.flatnonzero(np.arange(len(ids)) != i)
        order = others[np.lexsort((ids[others], -sims[i, others]))][:k]
        rows.extend(
            (int(item), rank, int(ids[j]), float(sims[i, j]), encoder)
            for rank, j in enumerate(order, start=1)
        )
    return pl.DataFrame(rows, schema=SIMILARITY_SCHEMA, orient="row")


def frame_styles(
    embeddings: pl.DataFrame,
    analytics: pl.DataFrame,
    *,
    n_styles: int = STYLES,
    seed: int = 0,
) -> pl.DataFrame:
    """``frame_id, movie_id, style_id, style, similarity, encoder``: every embedded frame's
    style cluster (ids from 0, largest first), its name and the frame's cosine with the
    cluster centre. ``analytics`` is the frame analytics table (light and colour fields).
    """
    from sklearn.cluster import KMeans

    encoder, _ = vector_space(embeddings)
    if embeddings.height == 0:
        return pl.DataFrame(schema=STYLE_SCHEMA)
    table = embeddings.select("frame_id", "movie_id", "vector", "tags").join(
        analytics.drop("movie_id"), on="frame_id", how="left"
    )
    vectors = np.asarray(table["vector"].to_list(), dtype=np.float64)
    k = min(n_styles, len(np.unique(vectors.round(6), axis=0)))
    raw = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(vectors)
    # Cluster ids by size, then by first frame, so ids do not depend on k-means' numbering.
    first = {c: int(np.flatnonzero(raw == c)[0]) for c in range(k)}
    order = sorted(range(k), key=lambda c: (-int((raw == c).sum()), first[c]))
    labels = np.asarray([order.index(c) for c in raw])
    centres = np.stack([vectors[labels == c].mean(axis=0) for c in range(k)])
    centres /= np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12)
    names = _unique([style_name(table.filter(pl.Series(labels == c))) for c in range(k)])
    return pl.DataFrame(
        {
            "frame_id": table["frame_id"],
            "movie_id": table["movie_id"],
            "style_id": labels,
            "style": [names[c] for c in labels],
            "similarity": np.einsum("ij,ij->i", vectors, centres[labels]),
            "encoder": [encoder] * table.height,
        },
        schema=STYLE_SCHEMA,
    )


def style_name(frames: pl.DataFrame) -> str:
    """A cluster's name from its frames (``tags`` and the analytics fields): light and colour
    words (:data:`LIGHT_NAMES`), then the tags at least :data:`TAG_SHARE` of them carry;
    "mid-tone" when nothing stands out."""
    means = {}
    for field in ("brightness", "contrast", "warmth", "colourfulness"):
        means[field] = frames[field].mean() if field in frames.columns else None
    if "black_and_white" in frames.columns and frames["black_and_white"].null_count() == 0:
        means["bw"] = float(frames["black_and_white"].cast(pl.Float64).mean())
    words = []
    for word, field, op, threshold in LIGHT_NAMES:
        value = means.get(field)
        if value is None or (word in _COLOUR_ONLY and "black-and-white" in words):
            continue
        if _holds(float(value), op, threshold):
            words.append(word)
    counts = Counter(tag for row in frames["tags"].to_list() for tag in set(row or []))
    tags = [
        tag
        for tag, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        if n >= TAG_SHARE * frames.height
    ][:MAX_STYLE_TAGS]
    name = " ".join(words) or "mid-tone"
    return f"{name} · {', '.join(tags)}" if tags else name


def _holds(value: float, op: str, threshold: float) -> bool:
    return {
        "<": value < threshold,
        "<=": value <= threshold,
        ">": value > threshold,
        ">=": value >= threshold,
    }[op]


def _unique(names: list[str]) -> list[str]:
    seen: Counter[str] = Counter()
    out = []
    for name in names:
        seen[name] += 1
        out.append(name if seen[name] == 1 else f"{name} {seen[name]}")
    return out

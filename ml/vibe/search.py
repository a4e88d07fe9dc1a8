"""Vibe search: movies by how they look, from a free-text query.

Channels, each used only when it can say something true:

- colour: the query's colour and light words (:mod:`ml.vibe.colour_words`) scored against every
  frame's palette and light fields; a movie scores the mean of its best three frames;
- metadata: MiniLM similarity between the query and the movie's title and genres;
- labels (text -> image without CLIP): the query's ImageNet classes
  (:mod:`ml.vision.vocabulary`) scored by the CNN's probabilities of them in each frame, only
  when the query names a class and the frames carry the CNN's probabilities;
- image head: the query projected into the CNN's feature space by the trained head
  (:mod:`ml.vision.projection`), cosine with the frame vectors, under the same condition and
  only when the frames were embedded by the encoder the head maps into;
- CLIP: the query's CLIP text embedding against frame embeddings, only with real weights.

An image channel scores a movie by its best frame. The final score is the weighted mean of
the channels that apply. Every result carries its per-channel scores, its best frames (time,
thumbnail) and the reason it matched, naming each channel and by how much.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ml.vibe import colour_words
from ml.vibe import index as vibe_index
from ml.vibe.tables import HEAD_FOLDER, STAT_FIELDS, encode_text, stats_from_row
from ml.vision import vocabulary
from ml.vision.projection import TextImageHead

PRESET_QUERIES = (
    "pastel pink and purple colour palette",
    "neon lights reflecting on wet streets",
    "warm golden sunset lighting",
    "cold blue isolated atmosphere",
    "rainy melancholic scenes",
    "autumn colors and falling leaves",
    "snowy landscapes with isolation",
    "harsh black and white contrast",
    "desert landscapes with orange dust",
    "city lights from above at night",
    "cozy warm intimate spaces",
    "dark neon cyberpunk vibe",
)
#: The contract of the ``vibe_presets`` table (rows of :func:`results_table`).
PRESET_SCHEMA = {
    "query": pl.String,
    "rank": pl.Int32,
    "item_id": pl.Int64,
    "title": pl.String,
    "year": pl.Int32,
    "score": pl.Float64,
    "colour_score": pl.Float64,
    "text_score": pl.Float64,
    "clip_score": pl.Float64,
    "label_score": pl.Float64,
    "projection_score": pl.Float64,
    "reason": pl.String,
    "frame_timestamps": pl.List(pl.Float64),
    "frame_thumbnails": pl.List(pl.String),
}
WEIGHTS = {"colour": 0.5, "clip": 0.6, "labels": 0.6, "projection": 0.4, "text": 0.3}
CANDIDATES = 200
BEST_FRAMES = 3
_FRAME_COLUMNS = ["frame_id", "movie_id", "timestamp", "thumbnail", "palette", "palette_weights"]
_REF_COLUMNS = ["frame_id", "movie_id", "timestamp", "thumbnail"]


@dataclass
class VibeResult:
    movie_id: int
    title: str
    year: int | None
    score: float
    channels: dict[str, float]
    reason: str
    best_frames: list[dict[str, Any]] = field(default_factory=list)


class VibeSearcher:
    """Search the LanceDB tables written by :func:`ml.vibe.tables.build_index`.

    Parameters
    ----------
    db_path
        The LanceDB folder.
    text_model
        A sentence-transformers model for the metadata channel (default: bundled MiniLM).
    clip
        A :class:`ml.vision.clip.ClipEncoder` with real weights for the CLIP channel, or None.
        An encoder without weights is ignored: its similarities would mean nothing.
    head
        The text -> image :class:`~ml.vision.projection.TextImageHead`; None reads the one
        saved in the index (``HEAD_FOLDER``) when there is one. Used only when it maps into
        the space of the frames' encoder.
    """

    def __init__(self, db_path: str | Path, *, text_model=None, clip=None, head=None):
        db = vibe_index.connect(db_path)
        self.frames, self.movies = db.open_table("frames"), db.open_table("movies")
        self.text_model = text_model
        self.clip = clip if clip is not None and clip.has_weights else None
        columns = set(self.frames.schema.names)
        # One encoder per index (vector_space refuses a mix): the first row names it.
        first = (
            vibe_index.scan(self.frames, columns=["encoder"], limit=1)
            if "encoder" in columns
            else None
        )
        self.image_encoder = first.column(0)[0].as_py() if first and first.num_rows else None
        saved = Path(db_path) / HEAD_FOLDER
        if head is None and saved.is_dir():
            head = TextImageHead.load(saved)
        self.head = head if head is not None and head.encoder == self.image_encoder else None
        self.has_probs = "probs" in columns
        self._bridge = None

    @property
    def bridge(self) -> vocabulary.LabelBridge | None:
        """The label bridge, when the frames carry class probabilities (built on first use,
        from the head's class vectors when there is a head)."""
        if self._bridge is None and self.has_probs:
            vectors = self.head.class_vectors if self.head is not None else None
            self._bridge = vocabulary.LabelBridge(vectors)
        return self._bridge

    def search(self, query: str, k: int = 10, where: str | None = None) -> list[VibeResult]:
        """The ``k`` movies that best match ``query`` among those matching ``where`` (SQL)."""
        parsed = colour_words.parse(query)
        scores: dict[str, dict[int, float]] = {}
        frame_scores: dict[int, list[tuple[float, dict]]] = defaultdict(list)
        reasons: dict[int, list[str]] = defaultdict(list)
        seen: dict[int, list[tuple[str, float]]] = {}

        query_vector = encode_text([query], self.text_model)[0]
        text = vibe_index.search(
            self.movies,
            query_vector,
            max(CANDIDATES, k),
            column="text_vector",
            where=where,
            select=["movie_id"],
        )
        scores["text"] = dict(
            zip(text["movie_id"].to_pylist(), vibe_index.similarity(text).tolist())
        )

        if not parsed.empty:
            scores["colour"] = self._colour(parsed, where, frame_scores, reasons)
        classes = None
        if self.bridge is not None:
            # The bridge's vocabulary is MiniLM's: a custom text model is not its space.
            if self.text_model is not None:
                query_vector = vocabulary.sentence_vectors([query])[0]
            classes = self.bridge.match(query_vector)
            if not classes.empty:
                scores["labels"] = self._labels(classes, where, frame_scores, seen)
                if self.head is not None:
                    projected = self.head.project(query_vector[None, :])[0]
                    scores["projection"] = self._image_search(projected, "vector", where, None)
        if self.clip is not None:
            scores["clip"] = self._clip(query, where, frame_scores)

        active = {name: WEIGHTS[name] for name in scores}
        total = sum(active.values())
        combined = {
            movie: sum(w * scores[name].get(movie, 0.0) for name, w in active.items()) / total
            for movie in set().union(*scores.values())
        }
        top = sorted(combined, key=lambda m: (-combined[m], m))[:k]
        info = self._movie_info(top)
        return [
            VibeResult(
                movie_id=movie,
                title=info[movie]["title"],
                year=info[movie]["year"],
                score=round(combined[movie], 4),
                channels={name: round(float(scores[name].get(movie, 0.0)), 4) for name in scores},
                reason=self._reason(parsed, scores, movie, reasons[movie], classes, seen),
                best_frames=_best_frames(frame_scores[movie]),
            )
            for movie in top
        ]

    def _colour(self, parsed, where, frame_scores, reasons) -> dict[int, float]:
        rows = vibe_index.scan(self.frames, where=where, columns=_FRAME_COLUMNS + list(STAT_FIELDS))
        per_movie: dict[int, list[float]] = defaultdict(list)
        for row in rows.to_pylist():
            value, why = colour_words.score(parsed, stats_from_row(row))
            per_movie[row["movie_id"]].append(value)
            frame_scores[row["movie_id"]].append((value, {**_frame_ref(row), "why": why}))
        out = {}
        for movie, values in per_movie.items():
            out[movie] = float(np.mean(sorted(values, reverse=True)[:BEST_FRAMES]))
            best = max(frame_scores[movie], key=lambda item: item[0])[1]["why"]
            reasons[movie].extend(best)
        return out

    def _labels(self, classes, where, frame_scores, seen) -> dict[int, float]:
        """Per movie, its best frame's bridge score; ``seen`` gets that frame's classes."""
        hits = self._image_search(classes.weights(), "probs", where, frame_scores, probs=True)
        best: dict[int, float] = {}
        for movie, (score, probs) in hits.items():
            best[movie] = score
            seen[movie] = classes.seen(np.asarray(probs))
        return best

    def _image_search(self, vector, column, where, frame_scores, *, probs=False) -> dict:
        """Per movie, its best frame's dot product with ``vector`` over ``column`` (and,
        with ``probs``, that frame's class probabilities beside it)."""
        hits = vibe_index.search(
            self.frames,
            vector,
            CANDIDATES,
            column=column,
            where=where,
            select=_REF_COLUMNS + (["probs"] if probs else []),
        )
        out: dict[int, Any] = {}
        for row, sim in zip(hits.to_pylist(), vibe_index.similarity(hits)):
            movie, value = row["movie_id"], float(sim)
            if frame_scores is not None:
                frame_scores[movie].append((value, {**_frame_ref(row), "why": []}))
            if movie not in out:  # hits come best first
                out[movie] = (value, row["probs"]) if probs else max(value, 0.0)
        return out

    def _clip(self, query, where, frame_scores) -> dict[int, float]:
        return self._image_search(self.clip.encode_texts([query])[0], "vector", where, frame_scores)

    def _movie_info(self, movie_ids: list[int]) -> dict[int, dict[str, Any]]:
        if not movie_ids:
            return {}
        ids = ", ".join(str(int(m)) for m in movie_ids)
        rows = vibe_index.scan(
            self.movies, where=f"movie_id IN ({ids})", columns=["movie_id", "title", "year"]
        )
        return {r["movie_id"]: r for r in rows.to_pylist()}

    def _reason(self, parsed, scores, movie, colour_reasons, classes, seen) -> str:
        parts = []
        if "colour" in scores:
            if colour_reasons:
                parts.append("colour: " + "; ".join(colour_reasons))
            elif movie not in scores["colour"]:
                parts.append(f"colour: no frames to match {', '.join(parsed.words())}")
            else:
                parts.append(f"colour: weak match for {', '.join(parsed.words())}")
        else:
            parts.append("colour: the query names no colour or light")
        if movie in scores["text"]:
            parts.append(f"metadata: title and genres similar ({scores['text'][movie]:.2f})")
        parts.append(self._labels_reason(scores, movie, classes, seen))
        if "clip" in scores:
            parts.append(f"CLIP: frame similarity {scores['clip'].get(movie, 0.0):.2f}")
        else:
            parts.append("CLIP: off (no CLIP weights configured)")
        return " | ".join(parts)

    def _labels_reason(self, scores, movie, classes, seen) -> str:
        if "labels" not in scores:
            if self.bridge is None:
                return "labels: unavailable (frames carry no ImageNet probabilities)"
            return "labels: the query names no ImageNet class"
        names = ", ".join(classes.names()[:3])
        if movie not in scores["labels"]:
            text = f"labels: no frame to match {names}"
        elif seen.get(movie):
            found = ", ".join(f"{name} {p:.2f}" for name, p in seen[movie][:3])
            text = f"labels {scores['labels'][movie]:.2f}: {found} (query ~ {names})"
        else:
            text = f"labels {scores['labels'][movie]:.2f}: the model saw none of {names}"
        if "projection" in scores:
            text += f" | image head: {scores['projection'].get(movie, 0.0):.2f}"
        return text


def results_table(query: str, results: list[VibeResult]) -> list[dict[str, Any]]:
    """Flat rows (one per result, ``rank`` from 1) for a polars frame or Postgres."""
    return [
        {
            "query": query,
            "rank": rank,
            "item_id": r.movie_id,
            "title": r.title,
            "year": r.year,
            "score": r.score,
            "colour_score": r.channels.get("colour"),
            "text_score": r.channels.get("text"),
            "clip_score": r.channels.get("clip"),
            "label_score": r.channels.get("labels"),
            "projection_score": r.channels.get("projection"),
            "reason": r.reason,
            "frame_timestamps": [f["timestamp"] for f in r.best_frames],
            "frame_thumbnails": [f["thumbnail"] for f in r.best_frames],
        }
        for rank, r in enumerate(results, start=1)
    ]


def _frame_ref(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "frame_id": row["frame_id"],
        "timestamp": row["timestamp"],
        "thumbnail": row["thumbnail"],
    }


def _best_frames(scored: list[tuple[float, dict]]) -> list[dict[str, Any]]:
    best: dict[str, tuple[float, dict]] = {}
    for value, ref in scored:
        if ref["frame_id"] not in best or value > best[ref["frame_id"]][0]:
            best[ref["frame_id"]] = (value, ref)
    ranked = sorted(best.values(), key=lambda item: -item[0])[:BEST_FRAMES]
    return [
        {
            "frame_id": r["frame_id"],
            "timestamp": r["timestamp"],
            "thumbnail": r["thumbnail"],
            "score": round(v, 4),
        }
        for v, r in ranked
    ]

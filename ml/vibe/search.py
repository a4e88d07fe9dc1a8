"""Vibe search: movies by how they look, from a free-text query.

Three channels, each used only when it can say something true:

- colour: the query's colour and light words (:mod:`ml.vibe.colour_words`) scored against every
  frame's palette and light fields; a movie scores the mean of its best three frames;
- metadata: MiniLM similarity between the query and the movie's title and genres;
- CLIP: the query's CLIP text embedding against frame embeddings, only with real weights.

The final score is the weighted mean of the channels that apply. Every result carries its
best frames (time, thumbnail) and the reason it matched.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ml.vibe import colour_words
from ml.vibe import index as vibe_index
from ml.vibe.tables import STAT_FIELDS, encode_text, stats_from_row

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
WEIGHTS = {"colour": 0.5, "clip": 0.6, "text": 0.3}
CANDIDATES = 200
BEST_FRAMES = 3
_FRAME_COLUMNS = ["frame_id", "movie_id", "timestamp", "thumbnail", "palette", "palette_weights"]


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
    """

    def __init__(self, db_path: str | Path, *, text_model=None, clip=None):
        db = vibe_index.connect(db_path)
        self.frames, self.movies = db.open_table("frames"), db.open_table("movies")
        self.text_model = text_model
        self.clip = clip if clip is not None and clip.has_weights else None

    def search(self, query: str, k: int = 10, where: str | None = None) -> list[VibeResult]:
        """The ``k`` movies that best match ``query`` among those matching ``where`` (SQL)."""
        parsed = colour_words.parse(query)
        scores: dict[str, dict[int, float]] = {}
        frame_scores: dict[int, list[tuple[float, dict]]] = defaultdict(list)
        reasons: dict[int, list[str]] = defaultdict(list)

        text = vibe_index.search(
            self.movies,
            encode_text([query], self.text_model)[0],
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
                reason=self._reason(parsed, scores, movie, reasons[movie]),
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

    def _clip(self, query, where, frame_scores) -> dict[int, float]:
        hits = vibe_index.search(
            self.frames,
            self.clip.encode_texts([query])[0],
            CANDIDATES,
            where=where,
            select=["frame_id", "movie_id", "timestamp", "thumbnail"],
        )
        out: dict[int, float] = {}
        for row, sim in zip(hits.to_pylist(), vibe_index.similarity(hits)):
            out[row["movie_id"]] = max(out.get(row["movie_id"], -1.0), float(sim))
            frame_scores[row["movie_id"]].append((float(sim), {**_frame_ref(row), "why": []}))
        return out

    def _movie_info(self, movie_ids: list[int]) -> dict[int, dict[str, Any]]:
        if not movie_ids:
            return {}
        ids = ", ".join(str(int(m)) for m in movie_ids)
        rows = vibe_index.scan(
            self.movies, where=f"movie_id IN ({ids})", columns=["movie_id", "title", "year"]
        )
        return {r["movie_id"]: r for r in rows.to_pylist()}

    def _reason(self, parsed, scores, movie: int, colour_reasons: list[str]) -> str:
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
        if "clip" in scores:
            parts.append(f"CLIP: frame similarity {scores['clip'].get(movie, 0.0):.2f}")
        else:
            parts.append("CLIP: semantic match unavailable (no CLIP weights configured)")
        return " | ".join(parts)


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

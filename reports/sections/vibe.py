"""The vibe section of the run report: trailers, frames, palettes and preset query results.

``vibe_section(...)`` returns ``{"title", "html_template", "data"}`` for
``summary["sections"]``; ``templates/vibe_section.html.j2`` lays it out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

SWATCH_WIDTH = 240
TOP_SHOWN = 3


def vibe_section(
    *,
    movies_with_trailers: int,
    frames: int,
    movie_palettes: Sequence[Mapping[str, Any]],
    presets: Sequence[Mapping[str, Any]],
    extractions: Sequence[Mapping[str, Any]] = (),
    clip: str = "not run",
    semantic: bool = False,
) -> dict[str, Any]:
    """The report section.

    ``movie_palettes``: rows with ``title, n_frames, palette_hex, palette_weights, brightness,
    warmth, colourfulness``. ``presets``: rows with ``query, rank, title, score, reason``.
    ``extractions``: rows with ``movie_id, source, error`` (None when the trailer decoded).
    """
    palettes = [
        {
            "title": p["title"],
            "n_frames": p["n_frames"],
            "brightness": p["brightness"],
            "warmth": p["warmth"],
            "colourfulness": p["colourfulness"],
            "width": SWATCH_WIDTH,
            "swatches": _swatches(p["palette_hex"], p["palette_weights"]),
        }
        for p in movie_palettes
    ]
    by_query: dict[str, list[Mapping[str, Any]]] = {}
    for row in sorted(presets, key=lambda r: (r["query"], r["rank"])):
        by_query.setdefault(row["query"], []).append(row)
    return {
        "title": "Vibe index",
        "html_template": "vibe_section.html.j2",
        "data": {
            "movies_with_trailers": movies_with_trailers,
            "movies_with_frames": len(palettes),
            "frames": frames,
            "failed": [e for e in extractions if e.get("error")],
            "clip": clip,
            "semantic": semantic,
            "palettes": palettes,
            "presets": [
                {"query": q, "results": list(rows[:TOP_SHOWN])} for q, rows in by_query.items()
            ],
        },
    }


def vibe_section_from_tables(tables: Path, clip: str = "", semantic: bool = False) -> dict | None:
    """The section from the Parquet tables a run wrote under ``tables``; None before any run."""
    import polars as pl

    from ml.vibe.tables import movie_colour_table

    needed = ("trailers", "frames", "frame_analytics", "vibe_presets", "movies")
    if not all((tables / f"{name}.parquet").exists() for name in needed):
        return None
    read = {name: pl.read_parquet(tables / f"{name}.parquet") for name in needed}
    extractions_path = tables / "trailer_extractions.parquet"
    extractions = pl.read_parquet(extractions_path).to_dicts() if extractions_path.exists() else []
    palettes = []
    if read["frame_analytics"].height:
        palettes = (
            movie_colour_table(read["frame_analytics"])
            .join(
                read["movies"].select(pl.col("item_id").alias("movie_id"), "title"), on="movie_id"
            )
            .to_dicts()
        )
    return vibe_section(
        movies_with_trailers=read["trailers"]["movie_id"].n_unique(),
        frames=read["frames"].height,
        movie_palettes=palettes,
        presets=read["vibe_presets"].to_dicts(),
        extractions=extractions,
        clip=clip or "see clip_embeddings metadata",
        semantic=semantic,
    )


def _swatches(hexes: Sequence[str], weights: Sequence[float]) -> list[dict[str, Any]]:
    total = sum(weights) or 1.0
    out, x = [], 0.0
    for colour, weight in zip(hexes, weights):
        w = SWATCH_WIDTH * weight / total
        out.append({"hex": colour, "share": weight / total, "x": round(x, 2), "w": round(w, 2)})
        x += w
    return out

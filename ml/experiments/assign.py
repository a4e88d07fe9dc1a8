"""Users to variants by hashing: stable across runs, independent between salts."""

from __future__ import annotations

import hashlib

import numpy as np
import polars as pl

from ml.experiments.config import ExperimentConfig


def bucket(user_id: int, salt: str) -> float:
    """A uniform number in [0, 1) from SHA-256 of ``salt`` and ``user_id``.

    The same (salt, user) always gives the same number, on every machine and run; two
    salts give independent numbers, so experiments do not share their splits.
    """
    digest = hashlib.sha256(f"{salt}\x1f{int(user_id)}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign(user_ids: np.ndarray, experiment: ExperimentConfig) -> pl.DataFrame:
    """experiment, user_id, variant, bucket for every user, by cumulative traffic share."""
    edges = np.cumsum([v.traffic for v in experiment.variants])
    edges[-1] = 1.0
    names = [v.name for v in experiment.variants]
    buckets = np.array([bucket(u, experiment.salt) for u in user_ids])
    which = np.searchsorted(edges, buckets, side="right")
    return pl.DataFrame(
        {
            "experiment": [experiment.name] * len(user_ids),
            "user_id": np.asarray(user_ids, dtype=np.int64),
            "variant": [names[i] for i in which],
            "bucket": buckets,
        }
    )

"""Train/test splits for offline evaluation, seeded and per user."""

from __future__ import annotations

import numpy as np
import polars as pl


def stratified_split(
    ratings: pl.DataFrame, *, test_fraction: float = 0.25, seed: int = 42, min_ratings: int = 2
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per-user random split: each user keeps ``1 - test_fraction`` of their rows in train.

    Users with fewer than ``min_ratings`` rows stay entirely in train, so every test
    user also has training history (the Microsoft Recommenders stratified protocol).
    """
    rng = np.random.default_rng(seed)
    df = ratings.with_columns(pl.Series("_u", rng.random(ratings.height)))
    df = df.with_columns(
        (pl.col("_u").rank("ordinal").over("user_id") - 1).alias("_pos"),
        pl.len().over("user_id").alias("_n"),
    )
    n_test = (pl.col("_n") * test_fraction).floor().cast(pl.Int64)
    is_test = (pl.col("_n") >= min_ratings) & (pl.col("_pos") < n_test)
    test = df.filter(is_test).drop("_u", "_pos", "_n")
    train = df.filter(~is_test).drop("_u", "_pos", "_n")
    return train, test


def leave_last_out(ratings: pl.DataFrame, *, n_last: int = 1) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per-user temporal split: each user's latest ``n_last`` ratings are the test set."""
    df = ratings.with_columns(
        pl.col("timestamp").rank("ordinal", descending=True).over("user_id").alias("_r"),
        pl.len().over("user_id").alias("_n"),
    )
    is_test = (pl.col("_r") <= n_last) & (pl.col("_n") > n_last)
    return df.filter(~is_test).drop("_r", "_n"), df.filter(is_test).drop("_r", "_n")

"""Personas: clusters of users' content profiles, named after the genre they over-represent."""

from __future__ import annotations

import numpy as np
import polars as pl

from ml.hybrid.personas import build_personas
from tests.toy_catalogue import MOVIES


def test_personas_separate_two_tastes():
    users = np.arange(1, 21)
    horror, drama = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    emb = np.stack([horror if u <= 10 else drama for u in users]) + 0.01 * (users[:, None] % 3)
    ratings = pl.DataFrame(
        {
            "user_id": np.repeat(users, 2),
            "item_id": [i for u in users for i in ((2, 3) if u <= 10 else (4, 5))],
            "rating": 4.0,
        }
    )
    p = build_personas(users, emb, ratings, MOVIES, k=2)
    names = dict(p.users.select("user_id", "persona").iter_rows())
    assert names[1] == "The Fright Fan" and names[20] == "The Drama Devotee"
    assert p.silhouette > 0.9

"""Surprise recommendations: what counts as a user's usual genres."""

from __future__ import annotations

import numpy as np

from ml.hybrid.surprise import usual_genres


def test_usual_genres_cover_the_habit():
    genres = [["Drama"], ["Drama"], ["Drama", "Comedy"], ["Horror"]]
    assert usual_genres(np.array([0, 1, 2, 3]), genres) == ["Drama"]

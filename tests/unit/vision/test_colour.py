"""Colour science over real photos: CIELAB, colourfulness, black and white, warmth."""

from __future__ import annotations

import numpy as np
import pytest

from ml.vision import colour
from tests.vibe_media import photo_stats


def test_lab_matches_scikit_image_and_round_trips():
    import skimage.color
    import skimage.data

    image = skimage.data.astronaut()
    lab = colour.srgb_to_lab(image)
    assert np.abs(lab - skimage.color.rgb2lab(image)).max() < 0.01
    assert np.abs(colour.lab_to_srgb(lab).astype(int) - image).max() <= 1
    assert colour.lab_to_hex(colour.hex_to_lab("#ff8800")) == "#ff8800"


def test_colourfulness_and_black_and_white():
    grey = np.full((20, 20, 3), 128, np.uint8)
    assert colour.colourfulness(grey) == 0.0
    # Hasler–Süsstrunk by hand for a half red, half blue image.
    half = np.zeros((2, 2, 3))
    half[0] = (255, 0, 0)
    half[1] = (0, 0, 255)
    rg, yb = np.array([255, 255, 0, 0.0]), np.array([127.5, 127.5, -255, -255])
    expected = np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean())
    assert colour.colourfulness(half) == pytest.approx(expected)
    stats = photo_stats()
    assert stats["camera"].black_and_white and stats["coins"].black_and_white
    assert not stats["coffee"].black_and_white
    assert stats["coffee"].warmth > 0.5 > stats["rocket"].warmth
    assert stats["hubble_deep_field"].brightness < 0.15
    for one in stats.values():
        assert one.weights.sum() == pytest.approx(1.0)
        assert np.all(np.diff(one.weights) <= 0)

"""CLIP with random weights: the real code path, deterministic and batch-size independent."""

from __future__ import annotations

import numpy as np
import pytest

from ml.vision.clip import ClipEncoder, zero_shot_tags


def test_clip_random_weights_real_code_path():
    encoder = ClipEncoder("ViT-S-32", None, device="cpu", batch_size=2, seed=0)
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 255, (120, 160, 3), dtype=np.uint8) for _ in range(5)]
    vectors = encoder.encode_images(images)
    assert vectors.shape == (5, encoder.dim) == (5, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert np.abs(vectors[0] - vectors[1]).max() > 1e-4
    encoder.batch_size = 8
    assert np.allclose(encoder.encode_images(images), vectors, atol=1e-4)
    text = encoder.encode_texts(["rain at night", "desert"])
    assert text.shape == (2, 384) and np.allclose(np.linalg.norm(text, axis=1), 1, atol=1e-5)
    assert not encoder.has_weights
    with pytest.raises(ValueError, match="real CLIP weights"):
        zero_shot_tags(encoder, vectors)

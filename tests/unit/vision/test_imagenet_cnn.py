"""EfficientNet-Lite0 with its real ImageNet weights on scikit-image's photographs.

Known answers: coffee is an espresso, chelsea a tabby cat, rocket a missile. Random or
misloaded weights, a wrong normalisation or a wrong class order fail these.
"""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data

from ml.vision import imagenet
from ml.vision.efficientnet import EMBED_DIM, NAME

CATS = {"tabby, tabby cat", "tiger cat", "Egyptian cat", "Persian cat", "Siamese cat, Siamese"}


@pytest.fixture(scope="module")
def photos():
    return [skimage.data.coffee(), skimage.data.chelsea(), skimage.data.rocket()]


@pytest.fixture(scope="module")
def encoded(cnn, photos):
    return cnn.encode(photos)


def test_top_labels_on_real_photos(encoded):
    coffee, chelsea, rocket = encoded.labels
    assert coffee[0][0] == "espresso" and coffee[0][1] > 0.6
    assert {"cup", "coffee mug"} & {name for name, _ in coffee[:3]}
    assert chelsea[0][0] == "tabby, tabby cat"
    assert sum(p for name, p in chelsea if name in CATS) > 0.7
    assert rocket[0][0] == "missile"
    assert {name for name, _ in rocket[:2]} == {"missile", "projectile, missile"}
    for row in encoded.labels:
        assert len(row) == imagenet.TOP_K
        assert [p for _, p in row] == sorted((p for _, p in row), reverse=True)


def test_tags_are_summed_class_probabilities(encoded):
    coffee, chelsea, rocket = encoded.tags
    assert coffee[0][0] == "food and drink" and coffee[0][1] > 0.9
    assert chelsea[0][0] == "cat" and chelsea[0][1] > 0.8
    assert rocket[0][0] == "rockets and space" and rocket[0][1] > 0.5
    # Nothing in these photos is a beach, a street or a mountain: no such tag appears.
    seen = {tag for row in encoded.tags for tag, _ in row}
    assert seen == {"food and drink", "cat", "rockets and space"}


def test_vectors_unit_norm_deterministic_batch_independent(cnn, photos, encoded):
    assert encoded.encoder == NAME
    assert encoded.vectors.shape == (3, EMBED_DIM) and encoded.vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(encoded.vectors, axis=1), 1, atol=1e-5)
    size = cnn.batch_size
    try:
        cnn.batch_size = 1
        one_by_one = cnn.encode(photos)
    finally:
        cnn.batch_size = size
    assert np.allclose(one_by_one.vectors, encoded.vectors, atol=1e-4)
    # The two photos of objects on a table and in the sky differ; the same photo agrees.
    sims = encoded.vectors @ encoded.vectors.T
    assert np.all(sims[~np.eye(3, dtype=bool)] < 0.8)


def test_grey_and_rgba_inputs_and_empty_batch(cnn):
    grey = skimage.data.camera()
    rgba = np.dstack(
        [skimage.data.coffee(), np.full(skimage.data.coffee().shape[:2], 255, np.uint8)]
    )
    out = cnn.encode([grey, rgba])
    assert out.labels[0][0][0] == "tripod"
    assert out.labels[1][0][0] == "espresso"
    empty = cnn.encode([])
    assert empty.vectors.shape == (0, EMBED_DIM) and empty.tags == [] and empty.labels == []


def test_preprocessing_is_timms_evaluation_transform():
    from ml.vision.efficientnet import _pil, preprocess, timm_transform

    reference = timm_transform()
    rng = np.random.default_rng(0)
    images = [
        skimage.data.chelsea(),  # landscape
        skimage.data.chelsea().transpose(1, 0, 2).copy(),  # portrait
        rng.integers(0, 255, (180, 320, 3), dtype=np.uint8),  # a trailer thumbnail
        skimage.data.camera(),  # grey
    ]
    ours = preprocess(images)
    assert ours.shape == (4, 3, 224, 224) and ours.dtype == np.float32
    for got, image in zip(ours, images):
        expected = reference(_pil(image)).numpy()
        assert np.abs(got - expected).max() < 1e-4

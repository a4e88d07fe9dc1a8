"""The CLIP-style text -> image head, trained here on ImageNet class wordings and the CNN's
classifier prototypes (real weights, real MiniLM), then used on scikit-image's photographs."""

from __future__ import annotations

import numpy as np
import pytest

from ml.vision import efficientnet, vocabulary
from ml.vision.projection import (
    HeadParams,
    TextImageHead,
    class_prototypes,
    split_classes,
    train_head,
)
from tests.vibe_media import PHOTOS, photo, trained_head

PARAMS = HeadParams(epochs=20, seed=0)


@pytest.fixture(scope="module")
def inputs():
    prototypes = class_prototypes(efficientnet.classifier_weights())
    return vocabulary.class_text_vectors(), prototypes


@pytest.fixture(scope="module")
def head():
    head = trained_head()
    assert head.history["params"]["epochs"] == PARAMS.epochs
    return head


def test_prototypes_are_centred_unit_rows(inputs):
    _, prototypes = inputs
    assert prototypes.shape == (1000, efficientnet.EMBED_DIM)
    assert np.allclose(np.linalg.norm(prototypes, axis=1), 1, atol=1e-5)


def test_validation_loss_falls_below_its_start_with_a_fixed_seed(head):
    history = head.history
    val, train = history["val_loss"], history["train_loss"]
    assert len(val) == len(train) == PARAMS.epochs + 1
    assert min(val) < 0.8 * val[0]
    assert history["best_epoch"] == int(np.argmin(val)) > 0
    train_classes, held_out = split_classes(1000, PARAMS.validation_share, PARAMS.seed)
    assert history["validation_classes"] == held_out.tolist() and len(held_out) == 200
    assert not set(train_classes) & set(held_out)
    assert history["refit_loss"][-1] < history["refit_loss"][0]


def test_same_seed_same_head(inputs, head):
    again = train_head(*inputs, PARAMS, encoder=efficientnet.NAME, device="cpu")
    assert again.history["val_loss"] == head.history["val_loss"]
    assert np.array_equal(again.weight, head.weight)


def test_cup_of_coffee_ranks_the_coffee_photo_first(cnn, head):
    vectors = cnn.encode([photo(name) for name in PHOTOS]).vectors
    queries = {"cup of coffee": "coffee", "a cat": "chelsea", "a camera on a tripod": "camera"}
    projected = head.project(vocabulary.sentence_vectors(list(queries)))
    assert projected.shape == (3, efficientnet.EMBED_DIM)
    for (query, expected), vector in zip(queries.items(), projected):
        sims = vectors @ vector
        assert PHOTOS[int(np.argmax(sims))] == expected, query


def test_save_and_load(tmp_path, head):
    loaded = TextImageHead.load(head.save(tmp_path / "head"))
    assert loaded.encoder == efficientnet.NAME and loaded.history == head.history
    text = vocabulary.sentence_vectors(["a dog on a beach"])
    assert np.allclose(loaded.project(text), head.project(text))
    assert loaded.class_vectors.shape == (2, 1000, 384)

"""Text -> image without CLIP, through the ImageNet vocabulary, on scikit-image's photographs.

The query's classes come from MiniLM (bundled weights), the frames' probabilities from
EfficientNet-Lite0 (real ImageNet weights); nothing here is mocked.
"""

from __future__ import annotations

import numpy as np
import pytest

from ml.vision import imagenet
from ml.vision.vocabulary import MIN_SIMILARITY, SEEN_PROBABILITY, LabelBridge
from tests.vibe_media import PHOTOS, photo


@pytest.fixture(scope="module")
def bridge():
    return LabelBridge()


@pytest.fixture(scope="module")
def probs(cnn):
    return cnn.encode([photo(name) for name in PHOTOS]).probs


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cup of coffee", "coffee"),
        ("a cat", "chelsea"),
        ("rocket launch", "rocket"),
        ("a camera on a tripod", "camera"),
    ],
)
def test_a_query_ranks_its_photo_first(bridge, probs, query, expected):
    classes = bridge.match(query)
    scores = classes.scores(probs)
    ranked = [PHOTOS[i] for i in np.argsort(-scores, kind="stable")]
    assert ranked[0] == expected
    # Not a near tie: the photo scores at least ten times the runner-up.
    assert scores.max() > 10 * np.sort(scores)[-2]


def test_coffee_is_found_by_what_the_model_saw(bridge, probs):
    classes = bridge.match("cup of coffee")
    assert {"coffee mug", "cup", "espresso"} <= set(classes.names())
    assert classes.relevance[0] == 1.0 and np.all(np.diff(classes.relevance) <= 0)
    assert np.all(classes.similarity >= MIN_SIMILARITY)
    coffee = probs[PHOTOS.index("coffee")]
    seen = classes.seen(coffee)
    assert seen[0][0] == "espresso" and seen[0][1] > 0.6
    by_name = {imagenet.class_descriptions()[i].split(",")[0]: i for i in classes.indices}
    for name, p in seen:
        assert p == pytest.approx(float(coffee[by_name[name]])) and p >= SEEN_PROBABILITY
    # The score is the model's probabilities weighted by relevance, nothing else.
    expected = sum(float(coffee[i]) * r for i, r in zip(classes.indices, classes.relevance))
    assert classes.scores(coffee[None, :])[0] == pytest.approx(expected, rel=1e-6)


def test_no_score_or_class_for_what_the_model_did_not_see(bridge, probs):
    classes = bridge.match("cup of coffee")
    blind = probs[PHOTOS.index("rocket")].copy()
    blind[classes.indices] = 0.0  # the model saw none of the query's classes here
    blind /= blind.sum()
    assert classes.scores(blind[None, :])[0] == 0.0
    assert classes.seen(blind) == []
    # A weak probability is not reported as seen, though it counts in the score.
    weak = np.zeros(imagenet.N_CLASSES)
    weak[classes.indices[0]] = SEEN_PROBABILITY / 2
    assert classes.seen(weak) == [] and classes.scores(weak[None, :])[0] > 0


def test_a_query_that_names_no_class_is_silent(bridge):
    for query in ("dark neon cyberpunk vibe", "pastel pink and purple colour palette"):
        classes = bridge.match(query)
        assert classes.empty and classes.names() == []
        assert not classes.weights().any()

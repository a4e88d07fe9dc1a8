"""Scene/style tags from ImageNet probabilities: a documented mapping and a threshold."""

from __future__ import annotations

import numpy as np
import pytest

from ml.vision import imagenet


def test_every_tag_class_names_exactly_one_imagenet_class():
    indices = imagenet.tag_indices()
    assert set(indices) == set(imagenet.TAG_CLASSES) | set(imagenet.TAG_RANGES)
    flat = [i for group in indices.values() for i in group]
    assert len(flat) == len(set(flat)), "a class in two tags would be counted twice"
    names = imagenet.class_descriptions()
    assert len(names) == imagenet.N_CLASSES
    assert names[imagenet.class_index("seashore")].startswith("seashore")
    assert names[151] == "Chihuahua" and names[268] == "Mexican hairless"
    with pytest.raises(KeyError, match="crane"):
        imagenet.class_index("crane")  # two classes: the bird and the machine
    with pytest.raises(KeyError):
        imagenet.class_index("night")


def _probs(**mass: float) -> np.ndarray:
    """One row of probabilities: the named classes get their mass, the rest spread evenly."""
    row = np.zeros(imagenet.N_CLASSES)
    for name, p in mass.items():
        row[imagenet.class_index(name.replace("_", " "))] = p
    rest = [i for i in range(imagenet.N_CLASSES) if row[i] == 0]
    row[rest] = (1 - row.sum()) / len(rest)
    return row[None, :]


def test_tag_probability_is_the_sum_of_its_classes():
    probs = _probs(seashore=0.15, sandbar=0.1, alp=0.05)
    (tags,) = imagenet.scene_tags(probs)
    background = (1 - 0.3) / (imagenet.N_CLASSES - 3)
    assert [t for t, _ in tags] == ["beach"]
    assert tags[0][1] == pytest.approx(0.25, abs=1e-9)
    _, sums = imagenet.tag_probabilities(probs)
    tagged = sum(len(group) for group in imagenet.tag_indices().values())
    assert sums.sum() == pytest.approx(0.3 + background * (tagged - 3), abs=1e-9)


def test_below_threshold_no_tag_is_invented():
    assert imagenet.scene_tags(_probs(seashore=0.1, sandbar=0.09)) == [[]]
    assert imagenet.scene_tags(_probs(seashore=0.1, sandbar=0.09), threshold=0.15)[0][0][0] == (
        "beach"
    )
    uniform = np.full((2, imagenet.N_CLASSES), 1 / imagenet.N_CLASSES)
    assert imagenet.scene_tags(uniform) == [[], []]


def test_best_first_at_most_top_and_labels_sorted():
    probs = _probs(streetcar=0.3, alp=0.25, candle=0.21, comic_book=0.2)
    (tags,) = imagenet.scene_tags(probs, top=3)
    assert [t for t, _ in tags] == ["city street", "mountains", "candlelight"]
    dogs = np.zeros((1, imagenet.N_CLASSES))
    dogs[0, 151:269] = 1 / 118  # mass over all dog breeds, none of them confident
    assert imagenet.scene_tags(dogs)[0][0][0] == "dog"
    (labels,) = imagenet.top_labels(probs, k=2)
    assert labels[0][0].startswith("streetcar") and labels[1][0] == "alp"

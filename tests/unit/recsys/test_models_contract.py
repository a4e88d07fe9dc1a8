"""One contract, every model: known answer, seen items excluded, determinism, persistence."""

from __future__ import annotations

import numpy as np
import pytest

from ml.recsys.models import MODELS, Recommender, build
from tests.unit.recsys.test_als import N, checkerboard

SMALL = {
    "popularity": {},
    "itemknn": {"neighbours": 20},
    "rp3beta": {},
    "als": {"factors": 2, "regularization": 0.01, "iterations": 15},
    "bpr": {"factors": 8, "learning_rate": 0.05, "iterations": 200},
    "ease": {"l2": 10.0},
    "ease_sessions": {"l2": 10.0},
    "multvae": {"hidden": 32, "latent": 8, "epochs": 150, "batch_size": 16, "anneal_steps": 200},
    "sasrec": {
        "dim": 16,
        "max_len": 30,
        "blocks": 1,
        "dropout": 0.0,
        "learning_rate": 0.01,
        "epochs": 40,
        "patience": 15,
    },
    "lightgcn": {
        "dim": 8,
        "learning_rate": 0.01,
        "batch_size": 256,
        "epochs": 100,
        "eval_every": 10,
        "patience": 20,
    },
    "neumf": {
        "factors": 8,
        "mlp": [16, 8],
        "learning_rate": 0.01,
        "batch_size": 256,
        "epochs": 15,
        "patience": 15,
    },
}
#: Popularity ignores the user, so it cannot find each user's held-out diagonal item.
KNOWN_ANSWER = [m for m in MODELS if m != "popularity"]


def test_every_registered_model_is_covered() -> None:
    assert set(SMALL) == set(MODELS)


@pytest.fixture(scope="module")
def fitted() -> dict[str, Recommender]:
    x = checkerboard()
    return {name: build(name, SMALL[name], seed=0).fit(x) for name in MODELS}


@pytest.mark.parametrize("name", KNOWN_ANSWER)
def test_checkerboard_top_item_is_the_held_out_diagonal(name: str, fitted) -> None:
    items, _ = fitted[name].recommend(checkerboard(), k=3)
    hit = np.mean(items[:, 0] == np.arange(N))
    assert hit == 1.0, f"{name}: only {hit:.0%} of users got their diagonal item first"


@pytest.mark.parametrize("name", list(MODELS))
def test_shapes_and_seen_items_excluded(name: str, fitted) -> None:
    x = checkerboard()
    items, scores = fitted[name].recommend(x, k=10)
    assert items.shape == (N, 10) and scores.shape == (N, 10)
    for u in range(N):
        assert not set(items[u]) & set(x[u].indices)
    assert np.all(np.diff(scores, axis=1) <= 1e-6)
    aff = fitted[name].item_affinity(np.array([0, 1, 2]), np.array([3, 4]))
    assert aff.shape == (3, 2)


@pytest.mark.parametrize("name", list(MODELS))
def test_same_seed_same_lists_and_save_load_round_trip(name: str, fitted, tmp_path) -> None:
    x = checkerboard()
    again = build(name, SMALL[name], seed=0).fit(x)
    first, _ = fitted[name].recommend(x, k=5)
    second, _ = again.recommend(x, k=5)
    assert np.array_equal(first, second), f"{name} is not deterministic for a fixed seed"
    fitted[name].save(tmp_path / name)
    loaded = Recommender.load(tmp_path / name)
    assert type(loaded) is type(fitted[name]) and loaded.params == fitted[name].params
    third, _ = loaded.recommend(x, k=5)
    assert np.array_equal(first, third)


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_says_in_one_line_what_it_is(name: str) -> None:
    summary = MODELS[name].summary()
    assert 20 < len(summary) < 200, f"{name}: give the class a one-line docstring"


def test_unknown_model_and_wrong_shape_are_clear_errors(fitted) -> None:
    with pytest.raises(KeyError, match="available"):
        build("nope")
    with pytest.raises(ValueError, match="does not match"):
        fitted["ease"].recommend(checkerboard(N + 2)[:, : N + 2], k=3)

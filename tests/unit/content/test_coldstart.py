"""Cold start: recommendations from a few liked titles, and suggestions for unknown ones."""

from __future__ import annotations

import pytest

from ml.content.coldstart import ColdStart, UnknownTitles
from tests.toy_catalogue import MOVIES, toy_embeddings


def test_coldstart_liked_and_unknown():
    cold = ColdStart(toy_embeddings(), MOVIES)
    out = cold.from_liked(["Alien"], k=2)
    assert out["item_id"].to_list()[0] == 3
    assert out["reason"][0].startswith("Similar to Alien (1979)")
    assert cold.resolve(["The Matrix (1999)"]) == [0]
    with pytest.raises(UnknownTitles) as error:
        cold.resolve(["Alienz"])
    assert "Alien (1979)" in error.value.suggestions["Alienz"]

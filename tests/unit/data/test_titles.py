"""MovieLens title rules: how a stored title reads to people, and its normalised key."""

from __future__ import annotations

import pytest

from ml.data.titles import display_title, normalise


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("Matrix, The", "The Matrix"),
        ("Dracula, The (Drakula)", "The Dracula"),
        ("Few Good Men, A", "A Few Good Men"),
        ("Theory of Everything", "Theory of Everything"),
        ("Good, the Bad and the Ugly, The", "The Good, the Bad and the Ugly"),
        ("Homme et une femme, Un", "Un Homme et une femme"),
    ],
)
def test_display_title(raw: str, shown: str) -> None:
    assert display_title(raw) == shown


def test_normalise_drops_accents_punctuation_and_case() -> None:
    assert normalise("Amélie: Le Fabuleux Destin!") == "amelie le fabuleux destin"
    assert normalise("Tom & Jerry") == "tom and jerry"

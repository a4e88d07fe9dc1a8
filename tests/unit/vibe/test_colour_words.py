"""Colour words: phrases parsed before words, and palette queries ranking real photos."""

from __future__ import annotations

from ml.vibe import colour_words
from tests.vibe_media import photo_stats


def _rank(query: str) -> list[str]:
    parsed = colour_words.parse(query)
    stats = photo_stats()
    return sorted(stats, key=lambda n: -colour_words.score(parsed, stats[n])[0])


def test_palette_queries_rank_the_right_real_photos_first():
    warm = _rank("warm orange")
    assert set(warm[:3]) <= {"coffee", "astronaut", "chelsea"}
    assert set(warm[-4:]) == {"rocket", "camera", "hubble_deep_field", "coins"}
    assert _rank("cold blue")[0] == "rocket"
    assert set(_rank("black and white")[:2]) == {"camera", "coins"}


def test_colour_words_parse_phrases_before_words():
    parsed = colour_words.parse("harsh black and white contrast")
    assert not parsed.colours
    assert {t.field for t in parsed.light} == {"contrast", "chroma_p95"}
    assert [c.name for c in colour_words.parse("a dark blue night").colours] == ["dark blue"]
    assert colour_words.parse("streets and vibes").empty

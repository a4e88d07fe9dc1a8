"""Language detection leaves short English alone and flags other scripts."""

from __future__ import annotations

from ml.text.language import english_verdict


def test_english_verdict_leaves_short_english_alone() -> None:
    assert english_verdict("a gorgeous , witty , seductive movie .") is None
    assert english_verdict("これは素晴らしい映画です。俳優も良い。") == "not_english"

"""A fine-tuned MiniLM scores a long review by its sentences."""

from __future__ import annotations

import pytest

from ml.sentiment.finetune import FinetuneParams, finetune
from tests.pang_lee import sample


def test_finetuned_scores_a_long_review_by_its_sentences(split) -> None:
    train, _ = split
    tuned = finetune(
        train["text"].head(64).to_list(),
        train["label"].head(64).to_list(),
        train["text"].slice(64, 32).to_list(),
        train["label"].slice(64, 32).to_list(),
        seed=0,
        params=FinetuneParams(epochs=1, last_sentences=2),
    )
    lines = sample("reviews", 2, seed=3)["text"][0].splitlines()
    sentences = [s.strip() for s in lines if s.strip() and len(s.split()) <= 40]
    review = "\n".join(sentences)
    z = tuned.sentence_scores(sentences)
    mean, last = tuned.decision([review])[0]
    assert len(sentences) > 5
    assert mean == pytest.approx(z.mean()) and last == pytest.approx(z[-2:].mean())
    short = train["text"][0]
    assert tuned.decision([short])[0] == pytest.approx([tuned.sentence_scores([short])[0]] * 2)

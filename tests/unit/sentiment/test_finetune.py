"""A fine-tuned MiniLM scores a long review by its sentences."""

from __future__ import annotations

import pytest

from ml.sentiment.finetune import FinetuneParams, epoch_accuracies, finetune
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


def test_early_stopping_keeps_the_best_of_trained_and_averaged_weights(split) -> None:
    train, _ = split
    val_texts, val_y = train["text"].slice(96, 48).to_list(), train["label"].slice(96, 48)
    tuned = finetune(
        train["text"].head(96).to_list(),
        train["label"].head(96).to_list(),
        val_texts,
        val_y.to_list(),
        seed=0,
        params=FinetuneParams(epochs=2, batch_size=16),
    )
    assert [h["epoch"] for h in tuned.history] == [1, 2]
    (kept,) = [h for h in tuned.history if "kept" in h]
    best = max(max(h["val_accuracy"], h["average_val_accuracy"]) for h in tuned.history)
    key = "val_accuracy" if kept["kept"] == "trained" else "average_val_accuracy"
    assert kept[key] == best
    # The shipped weights are the kept candidate: they score the validation texts as recorded.
    accuracy = ((tuned.sentence_scores(val_texts) > 0) == val_y.to_numpy()).mean()
    assert accuracy == pytest.approx(best)
    assert epoch_accuracies(kept).count("*") == 1


def test_an_ema_decay_of_zero_keeps_the_trained_weights_only(split) -> None:
    train, _ = split
    tuned = finetune(
        train["text"].head(32).to_list(),
        train["label"].head(32).to_list(),
        train["text"].slice(32, 16).to_list(),
        train["label"].slice(32, 16).to_list(),
        seed=0,
        params=FinetuneParams(epochs=1, ema_decay=0.0),
    )
    assert "average_val_accuracy" not in tuned.history[0]
    assert tuned.history[0]["kept"] == "trained"

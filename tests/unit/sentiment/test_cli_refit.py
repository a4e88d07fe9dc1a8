"""``cine sentiment train`` measures on a held-out part, then ships a model refit on all texts."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import polars as pl
import pytest

from cli.sentiment import register
from ml.sentiment.models import SentimentModel, _new_vectorizer
from ml.sentiment.reviews import clean_reviews, read_labelled
from tests.pang_lee import sample


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="cine")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture(scope="module")
def labelled(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("refit") / "labelled.csv"
    sample("sentences", 200, seed=3).select("label", "text").write_csv(path)
    return path


def _train(labelled: Path, out: Path, *extra: str) -> dict:
    argv = ["sentiment", "train", "--data", str(labelled), "--out", str(out)]
    assert _cli([*argv, "--model", "tfidf_lr", *extra]) == 0
    return json.loads((out / "meta.json").read_text())["metrics"]


def test_the_shipped_model_is_refit_on_every_row_after_the_held_out_measure(
    labelled: Path, tmp_path: Path, capsys
) -> None:
    metrics = _train(labelled, tmp_path / "model")
    printed = capsys.readouterr().out
    clean, bad = clean_reviews(read_labelled(str(labelled)))
    assert bad.height == 0 and clean.height == pl.read_csv(labelled).height
    assert metrics["refit"] is True and metrics["trained_on"] == clean.height
    assert metrics["holdout_n"] == 40 and 0.5 < metrics["holdout_accuracy"] <= 1.0
    assert f"held-out accuracy {metrics['holdout_accuracy']:.4f}" in printed
    assert f"trained on {clean.height} texts" in printed
    # The vocabulary is exactly the one of every text: no row was left out of training.
    model = SentimentModel.load(tmp_path / "model")
    every_text = _new_vectorizer().fit(clean["text"].to_list()).vocabulary_
    assert model.parts["tfidf"].vocabulary.keys() == every_text.keys()


def test_no_refit_ships_the_measured_model_and_says_so(labelled: Path, tmp_path: Path) -> None:
    refit = _train(labelled, tmp_path / "refit")
    measured = _train(labelled, tmp_path / "measured", "--no-refit")
    assert measured["refit"] is False and measured["trained_on"] == 160
    # The same held-out measure either way: only what ships differs.
    assert measured["holdout_accuracy"] == refit["holdout_accuracy"]
    small = SentimentModel.load(tmp_path / "measured").parts["tfidf"].vocabulary
    large = SentimentModel.load(tmp_path / "refit").parts["tfidf"].vocabulary
    assert len(small) < len(large)


def test_test_fraction_zero_ships_the_refit_model_in_one_training(
    labelled: Path, tmp_path: Path, capsys
) -> None:
    _train(labelled, tmp_path / "refit")
    once = _train(labelled, tmp_path / "once", "--test-fraction", "0")
    assert once["trained_on"] == 200 and not any(k.startswith("holdout_") for k in once)
    assert "not measured (--test-fraction 0)" in capsys.readouterr().out
    # The very model the default ships after its measurement: same texts, same seed.
    texts = pl.read_csv(labelled)["text"].to_list()
    refit = SentimentModel.load(tmp_path / "refit").predict_proba(texts)
    assert (SentimentModel.load(tmp_path / "once").predict_proba(texts) == refit).all()


@pytest.mark.parametrize("share", ["1", "-0.1", "1.5"])
def test_a_test_fraction_outside_zero_to_one_is_refused(
    labelled: Path, tmp_path: Path, share: str, capsys
) -> None:
    argv = ["sentiment", "train", "--data", str(labelled), "--out", str(tmp_path / "m")]
    assert _cli([*argv, "--model", "tfidf_lr", "--test-fraction", share]) == 2
    assert f"--test-fraction {share}" in capsys.readouterr().err

"""Sentiment assets and checks materialized into a temporary home; the sentiment CLI."""

from __future__ import annotations

import argparse
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from assets import sentiment, sentiment_checks
from assets.resources import CineHome, GateResource
from cli.sentiment import register
from ml.content.tmdb import REVIEW_SCHEMA
from ml.sentiment.models import SentimentModel
from pipelines.io_managers import CineIOManager
from tests.pang_lee import sample

_OPS_OF = {
    "labelled_reviews": {"review_corpus"},
    "sentiment_model": {"sentiment_model"},
    "movie_review_source": {"movie_reviews"},
    "sentiment_model_card": {"sentiment_model_card"},
}
DEFAULT_RUN = ["review_corpus", "review_quarantine", "sentiment_model"]
MOVIE_RUN = ["tmdb_reviews", "movie_reviews", "movie_review_quarantine", "movie_sentiment"]


@dg.asset(group_name="content")
def tmdb_reviews() -> pl.DataFrame:
    """What movie_metadata yields without a TMDb key: no reviews (tests/assets/
    test_movie_review_sources.py runs the keyed path against the stub server)."""
    return pl.DataFrame(schema=REVIEW_SCHEMA)


@pytest.fixture(scope="module")
def labelled_csv(tmp_path_factory) -> Path:
    """300 real RT sentences as label,text plus two bad rows (empty, Spanish)."""
    path = tmp_path_factory.mktemp("labelled") / "labelled.csv"
    rows = sample("sentences", 300, seed=4).select(
        pl.col("label").replace_strict({1: "pos", 0: "neg"}, return_dtype=pl.String), "text"
    )
    bad = pl.DataFrame(
        {
            "label": ["pos", "neg"],
            "text": ["", "La película es muy aburrida y los actores no saben actuar nada."],
        }
    )
    pl.concat([rows, bad]).write_csv(path)
    return path


@pytest.fixture(scope="module")
def movie_csv(tmp_path_factory) -> Path:
    """Real RT sentences not used for training, assigned to three movie ids."""
    pool = sample("sentences", 60, seed=5, offset=2000)
    pos = pool.filter(pl.col("label") == 1)["text"].to_list()
    neg = pool.filter(pl.col("label") == 0)["text"].to_list()
    frame = pl.DataFrame(
        {
            "movie_id": ["1"] * 20 + ["2"] * 20 + ["3"] * 2,
            "text": pos[:20] + neg[:20] + ["", "The acting is superb and the music is lovely."],
            "author": [f"critic{i}" for i in range(42)],
        }
    )
    path = tmp_path_factory.mktemp("movies") / "movie_reviews.csv"
    frame.write_csv(path)
    return path


def _materialize(home: Path, selection: list[str], config: dict, floor: float = 0.5):
    cine_home = CineHome(path=str(home))
    return dg.materialize(
        [
            tmdb_reviews,
            sentiment.labelled_reviews,
            sentiment.sentiment_model,
            sentiment.movie_review_source,
            sentiment.movie_sentiment,
            sentiment.sentiment_model_card,
            *dg.load_asset_checks_from_modules([sentiment_checks]),
        ],
        selection=selection,
        resources={
            "home": cine_home,
            "io_manager": CineIOManager(home=cine_home),
            "gate": GateResource(min_holdout_accuracy=floor),
        },
        run_config={"ops": {op: c for op, c in config.items() if _OPS_OF[op] & set(selection)}},
        raise_on_error=False,
    )


def _ops(labelled_csv: Path, movie_path: str = "") -> dict:
    return {
        "labelled_reviews": {"config": {"sources": [str(labelled_csv)]}},
        "sentiment_model": {"config": {"model": "tfidf_lr", "test_fraction": 0.25}},
        "movie_review_source": {"config": {"path": movie_path}},
    }


def test_default_run_trains_and_scores_no_movies_without_a_source(
    tmp_path: Path, labelled_csv: Path
) -> None:
    result = _materialize(tmp_path, DEFAULT_RUN + MOVIE_RUN, _ops(labelled_csv))
    assert result.success
    quarantine = pl.read_parquet(tmp_path / "tables" / "review_quarantine.parquet")
    assert sorted(quarantine["reason"].to_list()) == ["empty", "not_english"]
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    accuracy = checks["sentiment_holdout_accuracy"]
    assert accuracy.passed and accuracy.metadata["threshold"].value == 0.5
    assert 0.5 <= accuracy.metadata["value"].value <= 1.0
    assert checks["review_quarantine_share"].metadata["value"].value == pytest.approx(2 / 302)
    assert (tmp_path / "models" / "sentiment_model" / "meta.json").exists()
    movies = pl.read_parquet(tmp_path / "tables" / "movie_sentiment.parquet")
    assert movies.height == 0
    meta = result.asset_materializations_for_node("movie_sentiment")[0].metadata
    assert meta["status"].value == "no movie-linked reviews: nothing scored"
    source = result.asset_materializations_for_node("movie_review_source")[0].metadata
    assert source["source"].value.startswith("no movie-linked review source configured")


def test_movie_reviews_are_scored_per_movie(
    tmp_path: Path, labelled_csv: Path, movie_csv: Path
) -> None:
    assert _materialize(tmp_path, DEFAULT_RUN, _ops(labelled_csv)).success
    result = _materialize(tmp_path, MOVIE_RUN, _ops(labelled_csv, str(movie_csv)))
    assert result.success
    movies = pl.read_parquet(tmp_path / "tables" / "movie_sentiment.parquet")
    by_id = {r["movie_id"]: r for r in movies.iter_rows(named=True)}
    assert by_id["1"]["n_reviews"] == 20 and by_id["3"]["n_reviews"] == 1
    assert by_id["1"]["mean_probability"] > by_id["2"]["mean_probability"]
    assert by_id["3"]["acting_sentences"] == 1 and by_id["3"]["music_sentences"] == 1
    bad = pl.read_parquet(tmp_path / "tables" / "movie_review_quarantine.parquet")
    assert bad["reason"].to_list() == ["empty"]


def test_a_model_below_the_floor_blocks_per_movie_scoring(
    tmp_path: Path, labelled_csv: Path, movie_csv: Path
) -> None:
    result = _materialize(
        tmp_path, DEFAULT_RUN + MOVIE_RUN, _ops(labelled_csv, str(movie_csv)), floor=0.99
    )
    assert not result.success
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not checks["sentiment_holdout_accuracy"].passed
    assert not (tmp_path / "tables" / "movie_sentiment.parquet").exists()


def test_model_card_asset_cross_validates(tmp_path: Path, labelled_csv: Path) -> None:
    config = {
        "sentiment_model_card": {
            "config": {"sources": [str(labelled_csv)], "models": ["vader", "tfidf_lr"], "folds": 3}
        }
    }
    result = _materialize(tmp_path, ["sentiment_model_card"], config)
    assert result.success
    card = (tmp_path / "reports" / "sentiment_model_card.md").read_text()
    assert "`vader`" in card and "`tfidf_lr`" in card and "3-fold" in card


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="cine")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_train_then_score_keeps_the_contract(tmp_path: Path, labelled_csv: Path) -> None:
    model_dir = tmp_path / "model"
    args = ["sentiment", "train", "--data", str(labelled_csv), "--out", str(model_dir)]
    assert _cli([*args, "--model", "tfidf_lr"]) == 0
    assert (model_dir / "meta.json").exists() and (model_dir / "arrays.npz").exists()
    inputs = tmp_path / "in.csv"
    inputs.write_text(
        "id,body\nr1,An utterly delightful and moving film.\nr2,\n"
        "r3,A tedious and boring mess of a movie.\n"
    )
    out = tmp_path / "preds.parquet"
    args = ["sentiment", "score", "--model", str(model_dir), "--in", str(inputs)]
    assert _cli([*args, "--text-column", "body", "--out", str(out)]) == 0
    preds = pl.read_parquet(out)
    assert preds.columns == ["id", "label", "probability", "quarantine_reason"]
    assert preds["id"].to_list() == ["r1", "r2", "r3"]
    assert preds["quarantine_reason"].to_list() == [None, "empty", None]
    assert preds["probability"][0] > preds["probability"][2]
    assert preds["label"][1] is None


def test_cli_trains_long_reviews_with_a_sentence_corpus(tmp_path: Path) -> None:
    reviews = sample("reviews", 30, seed=7)
    data = tmp_path / "reviews.csv"
    reviews.select("label", "text").write_csv(data)
    sentences = tmp_path / "sentences.csv"
    sample("sentences", 80, seed=7).select("label", "text").write_csv(sentences)
    model_dir = tmp_path / "model"
    args = ["sentiment", "train", "--data", str(data), "--out", str(model_dir)]
    assert _cli([*args, "--sentences", str(sentences), "--model", "tfidf_lr"]) == 2
    assert _cli([*args, "--model", "minilm_ft_stack", "--sentences", str(sentences)]) == 0
    model = SentimentModel.load(model_dir)
    assert "transfer" in model.parts and model.parts["transfer"].history


def test_cli_bad_usage_exits_2(tmp_path: Path, labelled_csv: Path, capsys) -> None:
    assert _cli(["sentiment", "train", "--data", str(tmp_path / "no.csv"), "--out", "x"]) == 2
    assert (
        _cli(["sentiment", "train", "--data", str(labelled_csv), "--out", "x", "--model", "bert"])
        == 2
    )
    few = tmp_path / "few.csv"
    few.write_text("label,text\npos,good film\nneg,bad film\n")
    assert _cli(["sentiment", "train", "--data", str(few), "--out", str(tmp_path / "m")]) == 2
    assert (
        _cli(
            [
                "sentiment",
                "score",
                "--model",
                str(tmp_path),
                "--in",
                str(few),
                "--out",
                str(tmp_path / "p.parquet"),
            ]
        )
        == 2
    )
    assert "not a model folder" in capsys.readouterr().err


def test_movie_sentiment_publishes_to_postgres(
    tmp_path: Path, labelled_csv: Path, movie_csv: Path, pg_url: str
) -> None:
    import psycopg2

    from publish.postgres import Publisher

    assert _materialize(tmp_path, DEFAULT_RUN, _ops(labelled_csv)).success
    assert _materialize(tmp_path, MOVIE_RUN, _ops(labelled_csv, str(movie_csv))).success
    table = pl.read_parquet(tmp_path / "tables" / "movie_sentiment.parquet")
    Publisher(pg_url).publish({"movie_sentiment": table}, run_id="sentiment-test")
    with psycopg2.connect(pg_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT n_reviews, distribution, acting_score IS NOT NULL, loved_quotes "
            "FROM cine.movie_sentiment WHERE movie_id = '3'"
        )
        n, distribution, has_acting, loved = cur.fetchone()
    assert n == 1 and sum(distribution) == 1 and has_acting
    assert loved == table.filter(pl.col("movie_id") == "3")["loved_quotes"][0].to_list()

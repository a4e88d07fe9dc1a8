"""The ``cine recommend`` batch-scoring contract and the CLI's error handling."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from cli.main import main


@pytest.fixture
def train_file(tmp_path: Path, movielens_frame: pl.DataFrame) -> Path:
    sample = movielens_frame.filter(pl.col("userId") <= 30).select(
        pl.col("userId").alias("user_id"),
        pl.col("movieId").alias("item_id"),
        "rating",
        "timestamp",
    )
    path = tmp_path / "train.parquet"
    sample.write_parquet(path)
    return path


def test_recommend_writes_top_k_per_user_without_seen_items(tmp_path: Path, train_file: Path):
    out = tmp_path / "out" / "recs.parquet"
    assert main(["recommend", "--train", str(train_file), "--k", "7", "--out", str(out)]) == 0
    recs = pl.read_parquet(out)
    train = pl.read_parquet(train_file)
    assert recs.columns == ["user_id", "item_id", "rank", "score"]
    assert recs.height == train["user_id"].n_unique() * 7
    assert (
        recs.group_by("user_id").agg(pl.col("rank").sort())["rank"].to_list()
        == [list(range(1, 8))] * train["user_id"].n_unique()
    )
    assert recs.join(train, on=["user_id", "item_id"], how="semi").height == 0
    ordered = recs.sort("user_id", "rank")
    assert (ordered.group_by("user_id").agg(pl.col("score").diff().max())["score"] <= 0).all()
    again = tmp_path / "again.parquet"
    main(["recommend", "--train", str(train_file), "--k", "7", "--out", str(again)])
    assert pl.read_parquet(again).equals(recs), "same input and seed must give the same lists"


def test_recommend_accepts_csv(tmp_path: Path, train_file: Path) -> None:
    csv = tmp_path / "train.csv"
    pl.read_parquet(train_file).write_csv(csv)
    out = tmp_path / "recs.parquet"
    assert main(["recommend", "--train", str(csv), "--k", "3", "--out", str(out)]) == 0
    assert pl.read_parquet(out).height > 0


def test_recommend_names_the_file_and_missing_column(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("user_id,item_id,timestamp\n1,2,3\n")
    assert main(["recommend", "--train", str(bad), "--out", str(tmp_path / "o.parquet")]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "rating" in err


def test_recommend_rejects_unknown_model_and_bad_k(tmp_path: Path, train_file: Path, capsys):
    out = str(tmp_path / "o.parquet")
    assert main(["recommend", "--train", str(train_file), "--out", out, "--model", "x"]) == 2
    assert main(["recommend", "--train", str(train_file), "--out", out, "--k", "0"]) == 2
    assert not Path(out).exists()


def test_evaluate_prints_the_table_for_a_local_release(sample_release: Path, tmp_path, capsys):
    out = tmp_path / "table.parquet"
    code = main(
        [
            "evaluate",
            "--dataset",
            str(sample_release),
            "--models",
            "popularity,ease",
            "--skip-rating",
            "--out",
            str(out),
            "--home",
            str(tmp_path),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "ndcg@10" in printed and "coverage" in printed and "novelty" in printed
    table = pl.read_parquet(out)
    assert table["model"].to_list()[0] == "ease", "EASE must beat popularity on real users"
    assert (table["ndcg@10"] > 0).all()


def test_evaluate_rejects_unknown_model_and_dataset(tmp_path, capsys) -> None:
    assert main(["evaluate", "--models", "nope", "--home", str(tmp_path)]) == 2
    assert main(["evaluate", "--dataset", str(tmp_path / "x"), "--home", str(tmp_path)]) == 2
    assert str(tmp_path / "x") in capsys.readouterr().err


def test_db_commands_read_the_postgres_url_from_the_environment(
    tmp_path: Path, pg_url: str, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("CINE_POSTGRES_URL", pg_url)
    assert main(["db", "url", "--home", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == pg_url
    assert main(["db", "versions", "--home", str(tmp_path)]) == 0


def test_a_second_run_on_the_same_home_refuses_while_the_first_holds_it(tmp_path, capsys) -> None:
    import subprocess
    import sys

    home = tmp_path / "home"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time, pathlib\n"
            "from cli.home import run_lock\n"
            "with run_lock(pathlib.Path(sys.argv[1])):\n"
            "    print('locked', flush=True)\n"
            "    time.sleep(60)\n",
            str(home),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert main(["run", "--home", str(home)]) == 1
        err = capsys.readouterr().err
        assert "in use by another cine run" in err and f"pid {holder.pid}" in err
    finally:
        holder.kill()
        holder.wait()
    # The holder was killed, not shut down: the OS released its lock all the same.
    from cli.home import run_lock

    with run_lock(home):
        pass

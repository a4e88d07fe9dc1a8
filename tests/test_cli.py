"""The ``cine recommend`` batch-scoring contract and the CLI's error handling."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from cli.main import main
from ml.recsys.evaluation import SEARCH_SPACES, selected_default
from ml.recsys.models import MODELS


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
    assert main(["recommend", "--train", str(train_file), "--out", out, "--params", "{x"]) == 2
    bad_param = ["--model", "ease", "--params", '{"nope": 1}']
    assert main(["recommend", "--train", str(train_file), "--out", out, *bad_param]) == 2
    assert main(["recommend", "--out", out]) == 2
    assert "--train" in capsys.readouterr().err
    assert not Path(out).exists()


def test_recommend_defaults_to_the_selected_model_with_its_parameters(
    tmp_path: Path, train_file: Path, capsys
) -> None:
    name, params = selected_default()
    assert params == SEARCH_SPACES[name][0], "the selection's pick is its space's first entry"
    default, explicit = tmp_path / "default.parquet", tmp_path / "explicit.parquet"
    assert main(["recommend", "--train", str(train_file), "--out", str(default)]) == 0
    assert f"(model {name}," in capsys.readouterr().out
    args = ["--model", name, "--params", json.dumps(params)]
    assert main(["recommend", "--train", str(train_file), "--out", str(explicit), *args]) == 0
    assert pl.read_parquet(default).equals(pl.read_parquet(explicit))


def test_a_catalogue_too_large_for_item_item_models(tmp_path: Path, monkeypatch, capsys):
    """Above MAX_DENSE_ITEMS the default is ALS, as the pipeline's tuning skips the items²
    models there; asked for by name, a model whose matrices would not fit is refused in one
    line before it allocates them."""
    from ml.recsys.models import neighbours
    from ml.recsys.search_spaces import LARGE_CATALOGUE, MAX_DENSE_ITEMS

    n_items = MAX_DENSE_ITEMS + 10
    items = pl.int_range(1, n_items + 1, eager=True)
    train = pl.DataFrame(
        {
            "user_id": (items % 40 + 1).cast(pl.Int64),
            "item_id": items.cast(pl.Int64),
            "rating": pl.Series([4.0] * n_items),
            "timestamp": (items + 964_982_703).cast(pl.Int64),
        }
    )
    path, out = tmp_path / "wide.parquet", tmp_path / "recs.parquet"
    train.write_parquet(path)
    assert main(["recommend", "--train", str(path), "--k", "5", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert f"using {LARGE_CATALOGUE}" in captured.err
    assert f"(model {LARGE_CATALOGUE}," in captured.out
    assert pl.read_parquet(out).group_by("user_id").len()["len"].to_list() == [5] * 40

    monkeypatch.setattr(neighbours, "available_memory", lambda: 2**30)
    args = ["recommend", "--train", str(path), "--out", str(out), "--model", "ease"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cine recommend: ease needs about 12.7 GiB for 20,010 items"), err
    assert "more than the 1.0 GiB available" in err and len(err.splitlines()) == 1


def test_recommend_model_help_lists_every_model_in_one_line_each(capsys) -> None:
    assert main(["recommend", "--model", "help"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert selected_default()[0] in lines[0]
    listed = {line.split()[0]: line for line in lines[1:]}
    assert set(listed) == set(MODELS)
    for name, cls in MODELS.items():
        assert cls.summary() in listed[name]


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

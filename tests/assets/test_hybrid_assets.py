"""Content and hybrid groups materialized into tmp_path on a 40-user real sample, then
their tables published to a real PostgreSQL with the DDL in sql/tables/."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl
import psycopg2
import pytest

from assets import content, content_checks, features, hybrid, hybrid_checks
from assets.publish import PUBLISHED_COLUMNS
from assets.resources import CineHome, TmdbResource
from cli.coldstart import register
from ml.data.readers import load_movielens
from pipelines.io_managers import CineIOManager
from publish.postgres import Publisher
from reports.sections.hybrid import hybrid_section_from_tables

K = 10
PUBLISHED = (
    "hybrid_recommendations",
    "content_similarity",
    "user_personas",
    "coldstart_presets",
    "surprise_recommendations",
)


def release_assets(data):
    """The sample's ratings and movies as the ``movielens`` asset yields them."""

    @dg.multi_asset(outs={"ratings": dg.AssetOut(), "movies": dg.AssetOut()}, group_name="ingest")
    def sample():
        yield dg.Output(data.ratings, output_name="ratings")
        yield dg.Output(data.movies, output_name="movies")

    return sample


@pytest.fixture(scope="module")
def materialized(sample_release: Path, tmp_path_factory):
    data = load_movielens(sample_release)
    sample = release_assets(data)

    @dg.asset(group_name="sentiment")
    def movie_sentiment() -> pl.DataFrame:
        # As movie_sentiment writes it: movie_id is text (review files and TMDb name movies
        # by text). Reviews for the five most-rated movies and one id outside the catalogue.
        top = data.ratings.group_by("item_id").len().sort(["len", "item_id"], descending=True)
        ids = [str(i) for i in top["item_id"].head(5)] + ["tt0062622"]
        return pl.DataFrame(
            {
                "movie_id": ids,
                "n_reviews": [12, 9, 30, 4, 15, 40],
                "share_positive": [0.9, 0.2, 0.75, 1.0, 0.6, 0.8],
                "sentiment_feature": [0.3, -0.3, 0.2, 0.1, 0.05, 0.2],
            }
        )

    @dg.asset(group_name="models")
    def model_selection() -> dict:
        return {"model": "ease", "params": {"l2": 200.0}, "validation": {}}

    @dg.asset(group_name="models")
    def recommender_model(user_item_matrix, model_selection):
        from ml.recsys.models import build

        return build(model_selection["model"], model_selection["params"]).fit(
            user_item_matrix.matrix
        )

    home = CineHome(path=str(tmp_path_factory.mktemp("home")))
    run_config = {
        "ops": {
            "content_embeddings": {"config": {"backend": "tfidf-lsa"}},
            "hybrid_recommendations": {"config": {"k": K}},
            "surprise_recommendations": {"config": {"k": 5}},
            "user_personas": {"config": {"clusters": 4}},
            "ranking_ablation": {"config": {"models": ["popularity", "itemknn"]}},
        }
    }
    result = dg.materialize(
        [
            sample,
            movie_sentiment,
            model_selection,
            recommender_model,
            features.user_item_matrix,
            *dg.load_assets_from_modules([content, hybrid]),
            *dg.load_asset_checks_from_modules([content_checks, hybrid_checks]),
        ],
        resources={
            "home": home,
            "io_manager": CineIOManager(home=home),
            "tmdb": TmdbResource(home=home, api_key=None),
        },
        run_config=run_config,
    )
    return result, home, data


def table(home: CineHome, name: str) -> pl.DataFrame:
    return pl.read_parquet(home.root / "tables" / f"{name}.parquet")


def test_graph_runs_and_checks_pass(materialized):
    result, home, data = materialized
    assert result.success
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks.pop("metadata_match_rate") in (True, False)  # a warning only
    assert checks and all(checks.values()), checks
    recs = table(home, "hybrid_recommendations")
    users = data.ratings["user_id"].n_unique()
    assert recs.height == users * K
    seen = recs.join(data.ratings, on=["user_id", "item_id"], how="semi")
    assert seen.height == 0
    cited = recs.explode("because_item_ids").rename({"because_item_ids": "cited"})
    rated = data.ratings.select("user_id", pl.col("item_id").alias("cited"))
    assert cited.join(rated, on=["user_id", "cited"], how="anti").height == 0
    assert recs["reason"].str.starts_with("Because you rated ").all()
    meta = table(home, "movie_metadata")
    assert meta.height == data.movies.height
    unmatched = table(home, "metadata_unmatched")
    assert meta["match"].is_null().sum() == unmatched.height
    personas = table(home, "user_personas")
    assert personas["user_id"].n_unique() == users and personas["persona_id"].n_unique() == 4
    ablation = table(home, "ranking_ablation")
    assert ablation["protocol"].unique().sort().to_list() == ["stratified", "temporal"]
    for _, rows in ablation.group_by("protocol"):
        variants = rows["variant"].to_list()
        assert sum(v.endswith("(selected)") for v in variants) == 1, variants
        assert "hybrid (learned re-ranker)" in variants
        assert any(v.startswith("single: popularity") for v in variants)
        assert any(v.startswith("blend: ") for v in variants)
        assert any(v.startswith("published by the gate: ") for v in variants)
    section = hybrid_section_from_tables(home.root / "tables", home.root / "models")
    assert section["data"]["ablation"] and section["data"]["personas"]
    assert section["data"]["gate"]["sentence"].startswith("hybrid ")
    assert recs["source"].n_unique() == 1


def test_tables_publish_to_postgres(materialized, pg_url):
    _, home, _ = materialized
    tables = {name: table(home, name) for name in PUBLISHED}
    tables = {name: frame.select(PUBLISHED_COLUMNS[name]) for name, frame in tables.items()}
    Publisher(pg_url).publish(tables, run_id="test")
    with psycopg2.connect(pg_url) as conn, conn.cursor() as cur:
        for name, frame in tables.items():
            cur.execute(f"SELECT count(*) FROM cine_v1.{name}")  # test-only: fixed names
            assert cur.fetchone()[0] == frame.height
        # Readers see whose lists these are: the hybrid's, or the single model's.
        cur.execute("SELECT DISTINCT source FROM cine_v1.hybrid_recommendations")
        sources = tables["hybrid_recommendations"]["source"].unique().to_list()
        assert [r[0] for r in cur.fetchall()] == sources


def test_cli_coldstart(materialized, capsys):
    import argparse

    _, home, data = materialized
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    title = data.movies.sort("item_id")["title"][0]
    args = parser.parse_args(["coldstart", "--liked", title, "--k", "3", "--home", str(home.root)])
    assert args.func(args) == 0
    assert capsys.readouterr().out.count("Similar to") == 3
    args = parser.parse_args(["coldstart", "--liked", "Zzqx Nonexistent", "--home", str(home.root)])
    assert args.func(args) == 2
    assert "not in the catalogue" in capsys.readouterr().err


def test_above_nightly_max_ratings_the_ranker_is_kept_outside_the_tuning_job(
    sample_release: Path, tmp_path: Path
) -> None:
    from assets.reuse import TUNING_JOB
    from ml.content.embeddings import embed_items

    data = load_movielens(sample_release)
    sample = release_assets(data)

    @dg.asset(group_name="content")
    def content_embeddings(movies):
        texts = [f"{t} {' '.join(g)}" for t, g in movies.select("title", "genres").rows()]
        return embed_items(movies["item_id"].to_numpy(), texts, backend="tfidf-lsa", dim=16)

    @dg.asset(group_name="sentiment")
    def movie_sentiment() -> pl.DataFrame:
        schema = {"movie_id": pl.String, "n_reviews": pl.Int64}
        return pl.DataFrame(schema={**schema, "sentiment_feature": pl.Float64})

    @dg.asset(group_name="models", config_schema={"model": str})
    def model_selection(context) -> dict:
        model = context.op_config["model"]
        params = {"l2": 100.0} if model == "ease" else {}
        return {"model": model, "params": params, "validation": {}}

    home = CineHome(path=str(tmp_path / "home"))
    everything = dg.AssetSelection.all()
    defs = dg.Definitions(
        assets=[sample, content_embeddings, movie_sentiment, model_selection, hybrid.hybrid_ranker],
        jobs=[
            dg.define_asset_job("cine", selection=everything),
            dg.define_asset_job(TUNING_JOB, selection=everything),
        ],
        resources={"home": home, "io_manager": CineIOManager(home=home)},
    )
    instance = dg.DagsterInstance.ephemeral()

    def run(job: str, limit: int, n_popular: int, model: str = "popularity"):
        config = {"extra_models": [], "n_popular": n_popular, "nightly_max_ratings": limit}
        ops = {"hybrid_ranker": {"config": config}, "model_selection": {"config": {"model": model}}}
        defs.resolve_job_def(job).execute_in_process(instance=instance, run_config={"ops": ops})
        event = instance.get_latest_materialization_event(dg.AssetKey("hybrid_ranker"))
        reused = event.asset_materialization.metadata.get("reused_from_run")
        return event.run_id, reused and reused.value

    first, reused = run("cine", 10, 30)
    assert reused is None
    # Learning the ranker at scale fits the selected model twice: the nightly run keeps it.
    assert run("cine", 10, 20)[1] == first
    assert run(TUNING_JOB, 10, 20)[1] is None
    assert run("cine", 0, 10)[1] is None
    # A ranker learned over another selected model's scores is relearned, never kept.
    relearned, reused = run("cine", 10, 20, model="ease")
    assert reused is None
    ranker = defs.load_asset_value("hybrid_ranker", instance=instance)
    assert ranker.base_model == "ease"
    assert run("cine", 10, 30, model="ease")[1] == relearned

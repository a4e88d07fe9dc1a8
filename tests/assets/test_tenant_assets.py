"""Tenant and experiment assets materialized on a 40-user real sample with the shipped
tenants and a hostile one, their checks, and the tables published behind reader roles."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl
import psycopg2
import pytest

from assets import content, features, hybrid, tenants, tenants_checks
from assets.resources import CineHome, PostgresResource, TmdbResource
from ml.data.readers import load_movielens
from ml.tenants.config import SHIPPED_FOLDER
from pipelines.io_managers import CineIOManager
from publish.access import PasswordStore, ensure_readers, role_url
from publish.postgres import Publisher

HOSTILE = "Evil'; DROP TABLE cine.events; --<b>"
TENANT_TABLES = ("tenant_recommendations", "tenant_lists", "tenant_profiles")


@pytest.fixture(scope="module")
def materialized(sample_release: Path, tmp_path_factory, pg_server):
    data = load_movielens(sample_release)
    folder = Path(tmp_path_factory.mktemp("tenants"))
    for f in SHIPPED_FOLDER.glob("*.yaml"):
        (folder / f.name).write_text(f.read_text())
    few = data.ratings["user_id"].unique().sort().head(3).to_list() + [999_999]
    (folder / "evil.yaml").write_text(
        f'name: "{HOSTILE}"\nusers: {few}\nlist_length: 4\n'
        'branding: {name: "<script>alert(1)</script>", primary_colour: "#ABCDEF"}\n'
    )

    @dg.multi_asset(outs={"ratings": dg.AssetOut(), "movies": dg.AssetOut()}, group_name="ingest")
    def sample():
        yield dg.Output(data.ratings, output_name="ratings")
        yield dg.Output(data.movies, output_name="movies")

    @dg.asset(group_name="sentiment")
    def movie_sentiment() -> pl.DataFrame:
        return pl.DataFrame(
            schema={
                "movie_id": pl.String,
                "n_reviews": pl.Int64,
                "share_positive": pl.Float64,
                "sentiment_feature": pl.Float64,
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
            "tenant_profiles": {"config": {"folder": str(folder)}},
            "experiment_comparison": {"config": {"n_boot": 50}},
        }
    }
    selection = [
        sample,
        movie_sentiment,
        model_selection,
        recommender_model,
        features.user_item_matrix,
        content.movie_metadata,
        content.content_embeddings,
        hybrid.hybrid_ranker,
        *dg.load_assets_from_modules([tenants]),
        *dg.load_asset_checks_from_modules([tenants_checks]),
    ]
    result = dg.materialize(
        selection,
        resources={
            "home": home,
            "io_manager": CineIOManager(home=home),
            "tmdb": TmdbResource(home=home, api_key=None),
            "postgres": PostgresResource(home=home, url=pg_server.get_uri()),
        },
        run_config=run_config,
    )
    return result, home, data, few


def table(home: CineHome, name: str) -> pl.DataFrame:
    return pl.read_parquet(home.root / "tables" / f"{name}.parquet")


def test_assets_run_and_blocking_checks_pass(materialized):
    result, home, data, _ = materialized
    assert result.success
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(checks) == {
        "tenant_filters_hold",
        "tenant_lists_complete_or_explained",
        "experiment_assignment_balanced",
    }
    assert all(c.passed for c in checks.values()), {n: c.metadata for n, c in checks.items()}
    profiles = table(home, "tenant_profiles")
    assert {"family", "cinephile", "mood", HOSTILE} == set(profiles["tenant"])


def test_family_lists_hold_only_known_g_or_pg_titles(materialized):
    _, home, _, _ = materialized
    recs = table(home, "tenant_recommendations").filter(pl.col("tenant") == "family")
    facts = table(home, "movie_facts")
    got = recs.join(facts.select("item_id", "age_rating", "genres"), on="item_id")
    assert got.height == recs.height > 0
    assert set(got["age_rating"]) <= {"G", "PG"}, "an unknown or R rating slipped in"
    assert not got["genres"].list.contains("Horror").any()
    assert recs["reason"].str.len_chars().min() > 0


def test_every_list_is_complete_or_says_why(materialized):
    _, home, data, few = materialized
    status = table(home, "tenant_lists")
    users = data.ratings["user_id"].n_unique()
    per = dict(status.group_by("tenant").len().iter_rows())
    assert per["family"] == per["cinephile"] == per["mood"] == users
    assert per[HOSTILE] == len(few), "a listed tenant serves only its listed users"
    short = status.filter(~pl.col("complete"))
    assert short["short_reason"].is_not_null().all()
    ghost = status.filter(pl.col("user_id") == 999_999).row(0, named=True)
    assert ghost["n_items"] == 0 and "no ratings" in ghost["short_reason"]
    mood = table(home, "tenant_recommendations").filter(pl.col("tenant") == "mood")
    assert mood.group_by("user_id").len()["len"].max() == 5


def test_cinephile_boosts_shift_lists_to_older_films(materialized):
    _, home, _, _ = materialized
    recs = table(home, "tenant_recommendations").join(
        table(home, "movie_facts").select("item_id", "year"), on="item_id"
    )
    years = dict(recs.group_by("tenant").agg(pl.col("year").median()).iter_rows())
    assert years["cinephile"] < years["mood"]
    assert recs.filter(pl.col("tenant") == "cinephile")["year"].max() <= 2005


def test_experiment_tables(materialized):
    _, home, data, _ = materialized
    assignments = table(home, "experiment_assignments")
    assert assignments["user_id"].n_unique() == data.ratings["user_id"].n_unique()
    lists = table(home, "experiment_recommendations")
    assert set(lists["variant"]) == {"control", "blend_diverse"}
    comparison = table(home, "experiment_comparison")
    assert comparison.height == 2
    for metric in ("ndcg@10", "coverage", "novelty", "diversity_genre"):
        assert (comparison[f"{metric}_lo"] <= comparison[metric]).all()
        assert (comparison[metric] <= comparison[f"{metric}_hi"]).all()
    results = table(home, "experiment_results")
    assert set(results["note"]) == {"no exposures yet"}


def test_published_tenant_rows_are_isolated_per_role(materialized, pg_url, tmp_path):
    _, home, _, _ = materialized
    tables = {name: table(home, name) for name in TENANT_TABLES}
    from assets.publish import PUBLISHED_COLUMNS

    tables = {n: t.select(PUBLISHED_COLUMNS[n]) for n, t in tables.items()}
    pub = Publisher(pg_url)
    pub.ensure_schema()
    with psycopg2.connect(pg_url) as conn:
        readers = ensure_readers(
            conn, tables["tenant_profiles"]["tenant"].to_list(), PasswordStore(tmp_path)
        )
    pub.publish(tables, run_id="tenants")
    for tenant, role in readers.tenants.items():
        with psycopg2.connect(role_url(pg_url, role)) as conn, conn.cursor() as cur:
            for name in TENANT_TABLES:
                cur.execute(f"SELECT DISTINCT tenant FROM cine.{name}")  # test-only: fixed names
                assert cur.fetchall() == [(tenant,)]


def test_report_section_is_branded_and_escapes_hostile_values(materialized):
    from reports.render import _environment
    from reports.sections.tenants import tenants_section_from_tables

    _, home, _, _ = materialized
    section = tenants_section_from_tables(home.root / "tables")
    html = _environment().get_template(section["html_template"]).render(data=section["data"])
    assert "Family Movie Night" in html and "border-left: 6px solid #1f6feb" in html
    assert "Cinephile Club" in html and "Mood Picks" in html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Evil&#39;; DROP TABLE cine.events; --&lt;b&gt;" in html
    assert "#abcdef" in html, "a valid colour is used, lower-cased"
    assert "No exposure or click events yet" in html
    assert "http" not in html.replace("http-equiv", ""), "inline only"


def test_cli_prints_role_urls_and_the_password_only_when_asked(materialized, capsys):
    from cli.main import main
    from publish.access import PasswordStore, tenant_role

    _, home, _, _ = materialized
    store = PasswordStore(home.root / "secrets")
    password = store.password(tenant_role("family"))
    args = ["db", "url", "--role", "family", "--home", str(home.root)]
    assert main(args) == 0
    out = capsys.readouterr()
    assert out.out.strip().startswith("postgresql://cine_tenant_family@")
    assert password not in out.out + out.err and "PGPASSFILE=" in out.err
    assert main([*args, "--show-password"]) == 0
    assert f"cine_tenant_family:{password}@" in capsys.readouterr().out
    assert main(["db", "url", "--role", "nobody", "--home", str(home.root)]) == 2
    assert "no role 'nobody'" in capsys.readouterr().err

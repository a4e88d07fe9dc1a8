"""Versioned, atomic publishing against a real PostgreSQL server."""

from __future__ import annotations

import threading

import polars as pl
import psycopg2
import pytest

from publish.postgres import Publisher, mask_password

MOVIES = pl.DataFrame(
    {
        "item_id": [1, 2, 3],
        "title": ['Say "Hi", World', "Back\\slash", "Amélie"],
        "year": [1999, None, 2001],
        "genres": [["Comedy", "Drama"], [], ['Odd "genre"']],
    },
    schema={"item_id": pl.Int64, "title": pl.Utf8, "year": pl.Int32, "genres": pl.List(pl.Utf8)},
)


def recs(n_users: int, k: int = 3) -> pl.DataFrame:
    rows = [
        (u, r, 100 + r, 1.0 / r, 1, 0.5, "Because you liked X")
        for u in range(n_users)
        for r in range(1, k + 1)
    ]
    cols = [
        "user_id",
        "rank",
        "item_id",
        "score",
        "because_item_id",
        "because_similarity",
        "reason",
    ]
    return pl.DataFrame(rows, schema=cols, orient="row")


def rows(url: str, statement: str) -> list[tuple]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(statement)
        return cur.fetchall()


def test_publish_round_trips_values_including_arrays_and_quotes(pg_url: str) -> None:
    version = Publisher(pg_url).publish({"movies": MOVIES}, run_id="r1", metrics={"ndcg@10": 0.4})
    assert version.version == 1 and version.row_counts == {"movies": 3}
    got = rows(pg_url, "SELECT item_id, title, year, genres FROM cine.movies ORDER BY item_id")
    assert got == [
        (1, 'Say "Hi", World', 1999, ["Comedy", "Drama"]),
        (2, "Back\\slash", None, []),
        (3, "Amélie", 2001, ['Odd "genre"']),
    ]
    assert version.metrics == {"ndcg@10": 0.4}


def test_views_switch_versions_and_old_versions_are_pruned(pg_url: str) -> None:
    pub = Publisher(pg_url, keep_versions=2)
    for n in (1, 2, 3):
        pub.publish({"user_recommendations": recs(n)}, run_id=f"run{n}")
    assert rows(pg_url, "SELECT count(*) FROM cine.user_recommendations") == [(9,)]
    versions = {v["version"]: v for v in pub.versions()}
    assert [v for v in versions if versions[v]["is_current"]] == [3]
    assert versions[1]["dropped_at"] is not None and versions[2]["dropped_at"] is None
    schemas = {r[0] for r in rows(pg_url, "SELECT nspname FROM pg_namespace")}
    assert {"cine_v2", "cine_v3"} <= schemas and "cine_v1" not in schemas


def test_rollback_to_a_kept_version_and_refuse_a_dropped_one(pg_url: str) -> None:
    pub = Publisher(pg_url, keep_versions=2)
    for n in (1, 2, 3):
        pub.publish({"user_recommendations": recs(n)}, run_id=f"run{n}")
    assert pub.rollback_to(2).version == 2
    assert rows(pg_url, "SELECT count(*) FROM cine.user_recommendations") == [(6,)]
    with pytest.raises(ValueError, match="not kept"):
        pub.rollback_to(1)


def test_failed_load_leaves_the_published_version_untouched(pg_url: str) -> None:
    pub = Publisher(pg_url)
    pub.publish({"user_recommendations": recs(2)}, run_id="good")
    bad = recs(2).with_columns(pl.lit(0).alias("rank"))  # violates CHECK (rank >= 1)
    with pytest.raises(psycopg2.errors.CheckViolation):
        pub.publish({"user_recommendations": bad}, run_id="bad")
    assert pub.current().run_id == "good"
    assert rows(pg_url, "SELECT count(*) FROM cine.user_recommendations") == [(6,)]
    schemas = {r[0] for r in rows(pg_url, "SELECT nspname FROM pg_namespace")}
    assert "cine_v2" not in schemas, "the half-loaded version must be dropped"


KEYS = """
    SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint AS c
    JOIN pg_class AS t ON t.oid = c.conrelid JOIN pg_namespace AS n ON n.oid = t.relnamespace
    WHERE n.nspname = '{schema}' AND t.relname = 'user_recommendations' AND c.contype IN ('p', 'u')
    ORDER BY c.conname
"""


def test_rows_copied_in_slices_get_the_ddl_keys_after_the_copy(pg_url: str, monkeypatch) -> None:
    from publish import postgres

    monkeypatch.setattr(postgres, "COPY_SLICE_ROWS", 4)  # 3 users x 3 ranks: 3 COPY slices
    version = Publisher(pg_url).publish({"user_recommendations": recs(3)}, run_id="sliced")
    got = rows(pg_url, "SELECT user_id, rank FROM cine.user_recommendations ORDER BY 1, 2")
    assert got == [(u, r) for u in range(3) for r in (1, 2, 3)]
    assert rows(pg_url, KEYS.format(schema=version.schema_name)) == [
        ("user_recommendations_pkey", "PRIMARY KEY (user_id, rank)"),
        ("user_recommendations_user_id_item_id_key", "UNIQUE (user_id, item_id)"),
    ]


def test_a_repeated_key_fails_the_publish_naming_it(pg_url: str, monkeypatch) -> None:
    from publish import postgres

    monkeypatch.setattr(postgres, "COPY_SLICE_ROWS", 2)  # the repeat lands in another slice
    pub = Publisher(pg_url)
    pub.publish({"user_recommendations": recs(2)}, run_id="good")
    bad = pl.concat([recs(2), recs(2).tail(1)])
    with pytest.raises(psycopg2.errors.UniqueViolation, match=r"\(user_id, rank\)=\(1, 3\)"):
        pub.publish({"user_recommendations": bad}, run_id="bad")
    assert pub.current().run_id == "good"
    schemas = {r[0] for r in rows(pg_url, "SELECT nspname FROM pg_namespace")}
    assert "cine_v2" not in schemas, "the half-loaded version must be dropped"


def test_a_reader_never_sees_a_mixed_or_missing_view(pg_url: str) -> None:
    """Readers polling while versions switch always see one complete version."""
    pub = Publisher(pg_url, keep_versions=3)
    pub.publish({"user_recommendations": recs(10)}, run_id="v0")
    seen: list[int] = []
    errors: list[Exception] = []
    stop = threading.Event()

    def reader() -> None:
        conn = psycopg2.connect(pg_url)
        conn.autocommit = True
        try:
            while not stop.is_set():
                with conn.cursor() as cur:
                    cur.execute("SELECT count(*) FROM cine.user_recommendations")
                    seen.append(cur.fetchone()[0])
        except Exception as err:  # noqa: BLE001 - any reader error fails the test below
            errors.append(err)
        finally:
            conn.close()

    thread = threading.Thread(target=reader)
    thread.start()
    for n in (20, 10, 20, 10, 20):
        pub.publish({"user_recommendations": recs(n)}, run_id=f"v{n}")
    stop.set()
    thread.join(timeout=30)
    assert not errors, errors
    assert seen and set(seen) <= {30, 60}


def test_keep_versions_must_allow_a_rollback() -> None:
    with pytest.raises(ValueError):
        Publisher("postgresql:///x", keep_versions=1)


def test_mask_password() -> None:
    assert mask_password("postgresql://u:secret@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert mask_password("postgresql://u@h/db") == "postgresql://u@h/db"

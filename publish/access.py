"""Readers who can only read what is theirs: roles, passwords, grants, row-level security.

Roles (cluster-wide in PostgreSQL, so one home per server):

- ``cine_tenant_<name>`` per tenant: SELECT on the ``cine.tenant_*`` views, and through
  them only its own rows (row-level security on the version tables, ``sql/tables/``);
- ``cine_reader``: SELECT on every other reader view and on ``cine.published_versions``;
- ``cine_events_writer``: INSERT on ``cine.events``, nothing else;
- ``cine_owner`` (no login): owns the reader views.

Why views owned by ``cine_owner`` rather than ``security_invoker`` views: a view normally
reads its tables with its owner's rights, and the superuser who publishes bypasses row-level
security. ``security_invoker`` (PG15+) would apply the policies, but only by granting every
reader USAGE on the version schemas ``cine_v<N>`` and SELECT on their tables, i.e. reading
them directly. Owned by a plain role, the views apply the policies (evaluated as that
owner, with ``current_user`` still the reader), and readers need no right on any version
schema. The grants are given again in the publish transaction, since every swap re-creates
the views.

Passwords are generated on first use, kept in ``<home>/secrets/postgres_roles.json``
(0600, folder 0700) with a matching ``pgpass`` file, and sent to the server only as SCRAM
verifiers; nothing here logs or returns them except ``password_of``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from publish import sqlfiles

OWNER = "cine_owner"
SHARED_READER = "cine_reader"
EVENTS_WRITER = "cine_events_writer"
TENANT_PREFIX = "cine_tenant_"
#: Reader views whose rows belong to one tenant each (a ``tenant`` column, row-level security).
TENANT_VIEW_PREFIX = "tenant_"
SECRETS_FILE = "postgres_roles.json"
PGPASS_FILE = "pgpass"
SCRAM_ITERATIONS = 4096


def tenant_role(tenant: str) -> str:
    """The role of ``tenant``: ``cine_tenant_`` plus ``[a-z0-9_]``; a short hash of the name is
    added whenever sanitising changed it, so different names never share a role."""
    clean = re.sub(r"[^a-z0-9_]+", "_", tenant.lower()).strip("_")[:40]
    if clean != tenant or not clean:
        clean = f"{clean or 'x'}_{hashlib.sha256(tenant.encode()).hexdigest()[:8]}"
    return TENANT_PREFIX + clean


def scram_verifier(password: str, *, salt: bytes | None = None) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for ``password`` (RFC 5802 / 7677)."""
    salt = salt or secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, SCRAM_ITERATIONS)
    client = hmac.new(salted, b"Client Key", "sha256").digest()
    stored = hashlib.sha256(client).digest()
    server = hmac.new(salted, b"Server Key", "sha256").digest()
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return f"SCRAM-SHA-256${SCRAM_ITERATIONS}:{b64(salt)}${b64(stored)}:{b64(server)}"


class PasswordStore:
    """Generated passwords of the reader roles, in a file only the owner can read."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path = self.folder / SECRETS_FILE

    def _read(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        return json.loads(self.path.read_text())

    def _write(self, data: dict[str, str]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        for name, text in (
            (SECRETS_FILE, json.dumps(data, indent=2, sort_keys=True)),
            (PGPASS_FILE, "".join(f"*:*:*:{r}:{p}\n" for r, p in sorted(data.items()))),
        ):
            tmp = self.folder / f".{name}.tmp"
            tmp.unlink(missing_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(text)
            os.replace(tmp, self.folder / name)

    def password(self, role: str) -> str:
        """The password of ``role``, generated and stored on first use."""
        data = self._read()
        if role not in data:
            data[role] = secrets.token_urlsafe(24)
            self._write(data)
        return data[role]

    def known(self) -> list[str]:
        return sorted(self._read())


@dataclass(frozen=True)
class Readers:
    """The reader side of one database: login role names (never passwords)."""

    shared: str
    writer: str
    tenants: dict[str, str]

    def roles(self) -> list[str]:
        return [self.shared, self.writer, *self.tenants.values()]


def ensure_readers(conn, tenants: list[str], store: PasswordStore) -> Readers:
    """Create (or update) every reader role, lock the database down and record the roles.

    Runs in one transaction on ``conn`` (a superuser, or a role with CREATEROLE that owns
    the database); ``sql/schema.sql`` must have run. Tenant roles not in ``tenants`` lose
    their row in ``cine.reader_roles``, so they see nothing, and the next swap drops their
    grants with the old views.
    """
    readers = Readers(SHARED_READER, EVENTS_WRITER, {t: tenant_role(t) for t in tenants})
    if len(set(readers.tenants.values())) != len(tenants):
        raise ValueError("two tenants map to one role name")
    with conn.cursor() as cur:
        cur.execute(sqlfiles.load("access/current_database"))
        database, admin = cur.fetchone()
        owner = sqlfiles.ident(OWNER)
        cur.execute(sqlfiles.load("access/role_exists"), {"role": OWNER})
        if cur.fetchone() is None:
            cur.execute(sqlfiles.compose("access/create_owner_role", role=owner))
        for role in readers.roles():
            verifier = scram_verifier(store.password(role))
            cur.execute(sqlfiles.load("access/role_exists"), {"role": role})
            statement = "access/set_login_role" if cur.fetchone() else "access/create_login_role"
            cur.execute(
                sqlfiles.compose(statement, role=sqlfiles.ident(role)), {"verifier": verifier}
            )
        db = sqlfiles.ident(database)
        cur.execute(sqlfiles.compose("access/lockdown", database=db, owner=owner))
        for role in readers.roles():
            cur.execute(
                sqlfiles.compose("access/grant_login", database=db, role=sqlfiles.ident(role))
            )
        cur.execute(sqlfiles.compose("access/grant_shared", role=sqlfiles.ident(readers.shared)))
        cur.execute(sqlfiles.compose("access/grant_writer", role=sqlfiles.ident(readers.writer)))
        cur.execute(sqlfiles.load("access/clear_reader_roles"))
        rows = [(readers.shared, "shared", None), (readers.writer, "writer", None)]
        rows += [(role, "tenant", t) for t, role in readers.tenants.items()]
        cur.execute(sqlfiles.load("access/role_exists"), {"role": admin})
        if not cur.fetchone()[0]:
            rows.append((admin, "admin", None))
        for role, kind, tenant in rows:
            cur.execute(
                sqlfiles.load("access/add_reader_role"),
                {"role": role, "kind": kind, "tenant": tenant},
            )
    conn.commit()
    return readers


def secure_views(cur, schema: str, names: list[str]) -> None:
    """Inside the swap transaction: hand the re-created views to ``cine_owner`` and grant
    them to their readers. Does nothing before ``ensure_readers`` has run on this database."""
    cur.execute(sqlfiles.load("access/reader_roles"))
    roles = cur.fetchall()
    if not any(kind in ("tenant", "shared") for _, kind, _ in roles):
        return
    owner = sqlfiles.ident(OWNER)
    cur.execute(
        sqlfiles.compose("access/secure_schema", schema=sqlfiles.ident(schema), owner=owner)
    )
    for name in names:
        view = sqlfiles.ident("cine", name)
        table = sqlfiles.ident(schema, name)
        cur.execute(sqlfiles.compose("access/secure_view", view=view, table=table, owner=owner))
        kind = "tenant" if name.startswith(TENANT_VIEW_PREFIX) else "shared"
        for role, k, _ in roles:
            if k == kind:
                cur.execute(
                    sqlfiles.compose("access/grant_view", view=view, role=sqlfiles.ident(role))
                )


def require_passwords(pgdata: Path, conn) -> bool:
    """Make the embedded server ask every role but its superuser for a password.

    The embedded server listens on a Unix socket only and trusts every local login; this
    keeps trust for the superuser and requires SCRAM for everyone else, then reloads.
    True when the file changed.
    """
    with conn.cursor() as cur:
        cur.execute(sqlfiles.load("access/current_database"))
        _, admin = cur.fetchone()
    wanted = (
        "# Written by CineAesthete (publish/access.py): the superuser over the local socket,\n"
        "# every other role with its password (<home>/secrets/pgpass).\n"
        f"local all {admin} trust\n"
        "local all all scram-sha-256\n"
    )
    hba = Path(pgdata) / "pg_hba.conf"
    if hba.exists() and hba.read_text() == wanted:
        return False
    hba.write_text(wanted)
    with conn.cursor() as cur:
        cur.execute(sqlfiles.load("access/reload_conf"))
    conn.commit()
    return True


def role_url(url: str, role: str, password: str | None = None) -> str:
    """``url`` with the user replaced by ``role`` and, only when given, its password."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    user = quote(role, safe="")
    auth = f"{user}:{quote(password, safe='')}" if password else user
    return urlunsplit(parts._replace(netloc=f"{auth}@{host}"))

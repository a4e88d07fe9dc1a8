"""Load the statements in ``sql/`` by name; identifiers are composed, never f-stringed."""

from __future__ import annotations

import functools
from pathlib import Path

from psycopg2 import sql

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"


@functools.cache
def load(name: str) -> str:
    """Text of ``sql/<name>.sql``; ``name`` may contain a folder (``tables/movies``)."""
    path = SQL_DIR / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"no SQL file {path}")
    return path.read_text()


def compose(name: str, **identifiers: sql.Composable) -> sql.Composed:
    """``sql/<name>.sql`` with ``{placeholders}`` filled by quoted identifiers."""
    return sql.SQL(load(name)).format(**identifiers)


def ident(*parts: str) -> sql.Identifier:
    return sql.Identifier(*parts)


def ident_list(names: list[str]) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(n) for n in names)


def add_constraints(table: sql.Composable, keys: list[tuple[str, str]]) -> sql.Composed:
    """``ALTER TABLE table ADD CONSTRAINT name definition, ...`` for ``(name, definition)``
    pairs as ``pg_get_constraintdef`` returned them (server text, not user input)."""
    clauses = sql.SQL(", ").join(
        sql.SQL("ADD CONSTRAINT {} {}").format(sql.Identifier(name), sql.SQL(definition))
        for name, definition in keys
    )
    return sql.SQL(load("add_constraints")).format(table=table, clauses=clauses)

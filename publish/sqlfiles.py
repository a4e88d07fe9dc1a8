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

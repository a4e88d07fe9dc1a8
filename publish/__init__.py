"""Publishing library: versioned Postgres schemas, Parquet releases, SQL by name.

- ``postgres``: ``Publisher`` (COPY into ``cine_v<N>``, one-transaction view swap, rollback)
  and the embedded server.
- ``releases``: ``write_release`` / ``current_release`` of ``<home>/published``.
- ``sqlfiles``: ``load`` / ``compose`` the statements in ``sql/``.
"""

__all__ = ["postgres", "releases", "sqlfiles"]

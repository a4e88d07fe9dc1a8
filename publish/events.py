"""The exposure/click events apps write back (``cine.events``, ``sql/schema.sql``), read out."""

from __future__ import annotations

import polars as pl

from publish import sqlfiles
from publish.postgres import Publisher

EVENTS_SCHEMA = {
    "event_id": pl.Int64,
    "occurred_at": pl.Datetime(time_zone="UTC"),
    "experiment": pl.String,
    "variant": pl.String,
    "tenant": pl.String,
    "user_id": pl.Int64,
    "item_id": pl.Int64,
    "rank": pl.Int32,
    "event": pl.String,
}


def read_events(publisher: Publisher) -> pl.DataFrame:
    """Every event (``EVENTS_SCHEMA``); empty before any app wrote one."""
    publisher.ensure_schema()
    with publisher.connect() as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.load("read_events"))
        rows = cur.fetchall()
    return pl.DataFrame(rows, schema=EVENTS_SCHEMA, orient="row")

"""The quality history: every check of every run in ``cine.quality_history``, for trends."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from publish import sqlfiles
from publish.postgres import Publisher


def record_checks(
    publisher: Publisher, run_id: str, checks: Iterable[Mapping[str, Any]], *, published: bool
) -> int:
    """Store ``checks`` (dicts with asset, name, passed, blocking, severity, value,
    threshold) of ``run_id``; returns how many rows were written."""
    rows = [
        {
            "run_id": run_id,
            "asset": c["asset"],
            "check_name": c["name"],
            "passed": bool(c["passed"]),
            "blocking": bool(c["blocking"]),
            "severity": str(c.get("severity", "")),
            "value": json.dumps(c.get("value"), default=str),
            "threshold": json.dumps(c.get("threshold"), default=str),
            "published": published,
        }
        for c in checks
    ]
    publisher.ensure_schema()
    with publisher.connect() as conn, conn.cursor() as cur:
        for row in rows:
            cur.execute(sqlfiles.load("record_check"), row)
        conn.commit()
    return len(rows)


def check_history(publisher: Publisher, *, per_check: int = 20) -> dict[str, list[dict]]:
    """``{"asset.check": [{run_id, recorded_at, passed, value, threshold}, …]}``, oldest
    first, the newest ``per_check`` runs of each check."""
    publisher.ensure_schema()
    out: dict[str, list[dict]] = {}
    for asset, name, run_id, at, passed, value, threshold in publisher.query(
        "check_history", {"per_check": per_check}
    ):
        out.setdefault(f"{asset}.{name}", []).append(
            {
                "run_id": run_id,
                "recorded_at": at.isoformat(),
                "passed": passed,
                "value": value,
                "threshold": threshold,
            }
        )
    return out

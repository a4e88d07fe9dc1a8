"""Data-quality expectations as pure functions, each returning a ``CheckResult``.

The expectations run through great-expectations on a pandas view of the polars frame;
``value`` is what was measured, ``threshold`` what passing means, and ``details`` carries
a few offending examples when it fails.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import polars as pl

from ml.data.schema import MOVIES_SCHEMA, RATINGS_SCHEMA, dtype_names
from quality.result import CheckResult

RATINGS_COLUMNS = dtype_names(RATINGS_SCHEMA)
MOVIES_COLUMNS = dtype_names(MOVIES_SCHEMA)


@functools.cache
def _context():
    import great_expectations as gx

    # GX logs and draws a progress bar for every validation; the check metadata says it all.
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = {"globally": False, "metric_calculations": False}
    return ctx


def run_expectation(frame: pl.DataFrame, expectation) -> dict[str, Any]:
    """Validate one great-expectations ``expectation`` on ``frame``; the result dict."""
    ctx = _context()
    name = f"frame_{id(frame)}_{id(expectation)}"
    source = ctx.data_sources.add_or_update_pandas(name)
    batch = source.add_dataframe_asset("frame").add_batch_definition_whole_dataframe("all")
    # pandas has no list dtype GX understands; a joined string keeps the column present.
    pdf = frame.with_columns(
        pl.col(c).list.join("|") for c, t in frame.schema.items() if isinstance(t, pl.List)
    ).to_pandas()
    result = batch.get_batch(batch_parameters={"dataframe": pdf}).validate(expectation)
    ctx.data_sources.delete(name)
    return {"success": bool(result.success), **dict(result.result)}


def _unexpected(result: dict[str, Any], threshold: str) -> CheckResult:
    count = int(result.get("unexpected_count") or 0)
    details = {
        "unexpected_percent": float(result.get("unexpected_percent") or 0.0),
        "element_count": int(result.get("element_count") or 0),
    }
    examples = result.get("partial_unexpected_list") or []
    if examples:
        details["examples"] = [str(x) for x in examples[:10]]
    return CheckResult(bool(result["success"]), count, threshold, details)


def schema_matches(frame: pl.DataFrame, expected: dict[str, str]) -> CheckResult:
    """Columns and dtypes are exactly the contract's."""
    import great_expectations as gx

    actual = {c: str(t) for c, t in frame.schema.items()}
    result = run_expectation(
        frame,
        gx.expectations.ExpectTableColumnsToMatchSet(column_set=list(expected), exact_match=True),
    )
    mismatched = sorted(c for c in set(expected) | set(actual) if expected.get(c) != actual.get(c))
    passed = result["success"] and not mismatched
    return CheckResult(
        passed,
        len(mismatched),
        "0 columns differing from the contract",
        {
            "mismatched": [
                f"{c}: expected {expected.get(c)}, got {actual.get(c)}" for c in mismatched
            ]
        },
    )


def not_empty(frame: pl.DataFrame, *, min_rows: int = 1) -> CheckResult:
    import great_expectations as gx

    result = run_expectation(
        frame, gx.expectations.ExpectTableRowCountToBeBetween(min_value=min_rows)
    )
    return CheckResult(bool(result["success"]), frame.height, f">= {min_rows} rows")


def no_nulls(frame: pl.DataFrame, columns: list[str]) -> CheckResult:
    import great_expectations as gx

    nulls, passed = {}, True
    for col in columns:
        result = run_expectation(frame, gx.expectations.ExpectColumnValuesToNotBeNull(column=col))
        nulls[col] = int(result.get("unexpected_count") or 0)
        passed &= result["success"]
    return CheckResult(passed, sum(nulls.values()), "0 nulls", {"nulls": nulls})


def values_between(frame: pl.DataFrame, column: str, low: float, high: float) -> CheckResult:
    import great_expectations as gx

    result = run_expectation(
        frame,
        gx.expectations.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high),
    )
    return _unexpected(result, f"0 values of {column} outside [{low}, {high}]")


def unique(frame: pl.DataFrame, columns: list[str]) -> CheckResult:
    import great_expectations as gx

    if len(columns) == 1:
        exp = gx.expectations.ExpectColumnValuesToBeUnique(column=columns[0])
    else:
        exp = gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=columns)
    return _unexpected(run_expectation(frame, exp), f"0 duplicate ({', '.join(columns)})")


def references(frame: pl.DataFrame, column: str, keys: pl.Series) -> CheckResult:
    """Referential integrity: every ``column`` value is one of ``keys``."""
    import great_expectations as gx

    result = run_expectation(
        frame,
        gx.expectations.ExpectColumnValuesToBeInSet(
            column=column, value_set=keys.unique().to_list()
        ),
    )
    return _unexpected(result, f"0 {column} values missing from the referenced table")


def quarantine_share(
    quarantine: pl.DataFrame, accepted_rows: int, table: str, *, max_share: float
) -> CheckResult:
    """Share of ``table``'s rows read that went to quarantine stays at or under ``max_share``."""
    rows = quarantine.filter(pl.col("table") == table)
    read = accepted_rows + rows.height
    share = rows.height / read if read else 0.0
    by_reason = dict(rows.group_by("reason").len().sort("reason").iter_rows())
    details = {"quarantined_rows": rows.height, "rows_read": read, "by_reason": by_reason}
    return CheckResult(share <= max_share, share, max_share, details)


def not_worse_than(
    candidate: float | None, published: float | None, *, max_drop: float, forced: bool = False
) -> CheckResult:
    """A new model's metric may fall below the published one's by at most ``max_drop``."""
    if candidate is None:
        return CheckResult(False, None, "a measured validation NDCG@10")
    details = {"published": published, "max_drop": max_drop, "forced": forced}
    if published is None:
        return CheckResult(True, candidate, "no published model yet", details)
    floor = published - max_drop
    return CheckResult(forced or candidate >= floor, candidate, floor, details)

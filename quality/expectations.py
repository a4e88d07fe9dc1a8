"""Data-quality expectations as pure functions, each returning a ``CheckResult``.

Every rule is measured by polars on every row: ``value`` is that exact count (of rows
outside a range, null, repeated or referencing nothing), ``threshold`` what passing means,
and ``details`` carries a few offending examples when it fails. great-expectations then runs
the same expectation itself, on what ``gx_view`` hands it: the frame itself up to
``GX_ROWS`` rows; above that a seeded sample of ``GX_ROWS`` rows plus every row (up to
``GX_ROWS`` more) that the polars rule flagged, so GX sees each kind of violation polars
saw, without a pandas copy of 25M rows (79 s on the ML-25M shape, issue 12). A result passes
only when polars and GX both pass it; ``details["gx"]`` says what GX validated.

=================  ==============================  ========================================
expectation        polars, on every row            great-expectations, on
=================  ==============================  ========================================
schema_matches     dtypes against the contract     ExpectTableColumnsToMatchSet: the
                                                   frame's columns (a zero-row view)
not_empty          row count                       ExpectColumnValuesToBeBetween: a
                                                   one-row frame of the polars row count
no_nulls           null count per column           ExpectColumnValuesToNotBeNull per
                                                   column: the view (sample + null rows)
values_between     values outside [low, high],     ExpectColumnValuesToBeBetween: the view
                   NaN included                    (sample + rows outside)
unique             rows in a repeated key group    Expect(Compound)Column(s)...ToBeUnique:
                   (sorted frames: neighbours)     the view (sample + repeated rows)
references         rows whose key is not in the    ExpectColumnValuesToNotBeNull: each
                   referenced keys                 distinct key left-joined to the
                                                   referenced ones (every key, no sample;
                                                   GX's own ToBeInSet costs 0.5 ms per
                                                   referenced key: 30 s for 59k movies)
=================  ==============================  ========================================
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import numpy as np
import polars as pl

from ml.data.readers import repeats
from ml.data.schema import MOVIES_SCHEMA, RATINGS_SCHEMA, dtype_names
from quality.result import CheckResult

RATINGS_COLUMNS = dtype_names(RATINGS_SCHEMA)
MOVIES_COLUMNS = dtype_names(MOVIES_SCHEMA)
#: Frames up to this many rows go to great-expectations whole; larger ones as a sample.
GX_ROWS = 100_000
GX_SEED = 0


@functools.cache
def _context():
    import great_expectations as gx

    # GX logs and draws a progress bar for every validation; the check metadata says it all.
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = {"globally": False, "metric_calculations": False}
    return ctx


@functools.cache
def _whole_frame():
    """One pandas data source for every validation: each passes its frame as a batch
    parameter (setting a source up and down per validation doubled its cost)."""
    source = _context().data_sources.add_or_update_pandas("cineaesthete")
    return source.add_dataframe_asset("frame").add_batch_definition_whole_dataframe("all")


def run_expectations(frame: pl.DataFrame, expectations: list) -> list[dict[str, Any]]:
    """Validate great-expectations ``expectations`` on ``frame`` as one suite; their results
    (``success`` and GX's result dict), in order."""
    import great_expectations as gx

    batch = _whole_frame()  # first: it makes the context a suite needs
    # pandas has no list dtype GX understands; a joined string keeps the column present.
    pdf = frame.with_columns(
        pl.col(c).list.join("|") for c, t in frame.schema.items() if isinstance(t, pl.List)
    ).to_pandas()
    suite = gx.ExpectationSuite(name="expectations")
    for expectation in expectations:
        suite.add_expectation(expectation)
    validated = batch.get_batch(batch_parameters={"dataframe": pdf}).validate(suite)
    # A suite keeps one of equal expectations; a result is found by its type and arguments.
    by_config = {_config_key(r.expectation_config): r for r in validated.results}
    out = []
    for expectation in expectations:
        result = by_config[_config_key(expectation.configuration)]
        out.append({"success": bool(result.success), **dict(result.result)})
    return out


def _config_key(config) -> str:
    kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
    return f"{config.type} {sorted(kwargs.items())!r}"


def run_expectation(frame: pl.DataFrame, expectation) -> dict[str, Any]:
    """Validate one great-expectations ``expectation`` on ``frame``; the result dict."""
    return run_expectations(frame, [expectation])[0]


def gx_view(
    frame: pl.DataFrame, flagged: pl.Expr | None = None, *, rows: int | None = None
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """What great-expectations validates of ``frame``, and a description of it.

    The frame itself when it has at most ``rows`` rows; otherwise a sample of ``rows`` rows
    (seeded: the same frame gives the same sample) together with the first ``rows`` rows
    that ``flagged`` selects, in frame order. ``rows`` defaults to ``GX_ROWS``.
    """
    rows = GX_ROWS if rows is None else rows
    if frame.height <= rows:
        return frame, {"rows": frame.height, "of": frame.height, "sampled": False}
    picked = np.random.default_rng(GX_SEED).choice(frame.height, size=rows, replace=False)
    marked = np.empty(0, dtype=np.int64)
    if flagged is not None:
        marked = frame.select(pl.arg_where(flagged).alias("at")).to_series().head(rows)
        marked = marked.to_numpy()
    index = np.union1d(picked, marked)
    view = frame[pl.Series(index)]
    return view, {"rows": view.height, "of": frame.height, "sampled": True, "flagged": len(marked)}


def _gx(results: list[dict[str, Any]], described: dict[str, Any]) -> dict[str, Any]:
    counts = [int(r.get("unexpected_count") or 0) for r in results]
    return {**described, "success": all(r["success"] for r in results), "unexpected": counts}


def _examples(frame: pl.DataFrame, flagged: pl.Expr, columns: list[str]) -> list[str]:
    rows = frame.filter(flagged).head(10).select(columns)
    if len(columns) == 1:
        return [str(x) for x in rows.to_series()]
    return [str(r) for r in rows.iter_rows(named=True)]


def _unexpected(
    frame: pl.DataFrame,
    flagged: pl.Expr,
    present: pl.Expr,
    expectation,
    threshold: str,
    columns: list[str],
) -> CheckResult:
    """Count ``flagged`` rows with polars, run ``expectation`` on the GX view of them, and
    report as GX does: ``unexpected_percent`` of the ``present`` (non-missing) rows."""
    count, considered = frame.select(flagged.sum().alias("n"), present.sum().alias("of")).row(0)
    view, described = gx_view(frame, flagged if count else None)
    gx = _gx(run_expectations(view, [expectation]), described)
    details: dict[str, Any] = {
        "unexpected_percent": 100.0 * count / considered if considered else 0.0,
        "element_count": frame.height,
        "gx": gx,
    }
    if count:
        details["examples"] = _examples(frame, flagged, columns)
    return CheckResult(count == 0 and gx["success"], int(count), threshold, details)


def schema_matches(frame: pl.DataFrame, expected: dict[str, str]) -> CheckResult:
    """Columns and dtypes are exactly the contract's."""
    import great_expectations as gx

    actual = {c: str(t) for c, t in frame.schema.items()}
    columns = gx.expectations.ExpectTableColumnsToMatchSet(
        column_set=list(expected), exact_match=True
    )
    result = run_expectation(frame.head(0), columns)
    mismatched = sorted(c for c in set(expected) | set(actual) if expected.get(c) != actual.get(c))
    passed = result["success"] and not mismatched
    return CheckResult(
        passed,
        len(mismatched),
        "0 columns differing from the contract",
        {
            "mismatched": [
                f"{c}: expected {expected.get(c)}, got {actual.get(c)}" for c in mismatched
            ],
            "gx": {"rows": 0, "of": frame.height, "success": result["success"]},
        },
    )


def not_empty(frame: pl.DataFrame, *, min_rows: int = 1) -> CheckResult:
    import great_expectations as gx

    counted = pl.DataFrame({"rows": [frame.height]})
    result = run_expectation(
        counted, gx.expectations.ExpectColumnValuesToBeBetween(column="rows", min_value=min_rows)
    )
    passed = frame.height >= min_rows and result["success"]
    return CheckResult(passed, frame.height, f">= {min_rows} rows")


def no_nulls(frame: pl.DataFrame, columns: list[str]) -> CheckResult:
    import great_expectations as gx

    nulls = {c: n for c, n in frame.select(columns).null_count().row(0, named=True).items()}
    flagged = pl.any_horizontal(pl.col(c).is_null() for c in columns)
    view, described = gx_view(frame, flagged if any(nulls.values()) else None)
    results = run_expectations(
        view, [gx.expectations.ExpectColumnValuesToNotBeNull(column=c) for c in columns]
    )
    details = {"nulls": nulls, "gx": _gx(results, described)}
    passed = not any(nulls.values()) and details["gx"]["success"]
    return CheckResult(passed, sum(nulls.values()), "0 nulls", details)


def values_between(frame: pl.DataFrame, column: str, low: float, high: float) -> CheckResult:
    import great_expectations as gx

    value = pl.col(column)
    outside = (value < low) | (value > high)
    if frame.schema[column].is_float():
        outside = outside | value.is_nan()
    present = value.is_not_null()
    return _unexpected(
        frame,
        present & outside,
        present,
        gx.expectations.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high),
        f"0 values of {column} outside [{low}, {high}]",
        [column],
    )


def unique(frame: pl.DataFrame, columns: list[str]) -> CheckResult:
    """No two rows share ``columns`` (rows whose keys are all null aside); ``value`` counts
    every row of a repeated group, as great-expectations does."""
    import great_expectations as gx

    present = pl.any_horizontal(pl.col(c).is_not_null() for c in columns)
    if len(columns) == 1:
        exp = gx.expectations.ExpectColumnValuesToBeUnique(column=columns[0])
    else:
        exp = gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=columns)
    # Finding that nothing repeats is cheap on sorted keys; only then are groups counted.
    repeated = pl.lit(False)
    if frame.height and repeats(frame, columns, among=present).any():
        repeated = present & pl.struct(columns).is_duplicated()
    return _unexpected(
        frame, repeated, present, exp, f"0 duplicate ({', '.join(columns)})", columns
    )


def references(frame: pl.DataFrame, column: str, keys: pl.Series) -> CheckResult:
    """Referential integrity: every ``column`` value is one of ``keys``."""
    import great_expectations as gx

    value = pl.col(column)
    missing = value.is_not_null() & ~value.is_in(keys.implode())
    count, considered = frame.select(
        missing.sum().alias("n"), value.is_not_null().sum().alias("of")
    ).row(0)
    distinct = frame.select(value.unique().drop_nulls())
    known = keys.unique().drop_nulls().to_frame(column).with_columns(value.alias("referenced"))
    joined = distinct.join(known.cast({column: frame.schema[column]}), on=column, how="left")
    result = run_expectation(
        joined, gx.expectations.ExpectColumnValuesToNotBeNull(column="referenced")
    )
    gx_result = {
        "rows": joined.height,
        "of": frame.height,
        "sampled": False,
        "success": result["success"],
        "unexpected": [int(result.get("unexpected_count") or 0)],
    }
    details: dict[str, Any] = {
        "unexpected_percent": 100.0 * count / considered if considered else 0.0,
        "element_count": frame.height,
        "gx": gx_result,
    }
    if count:
        details["examples"] = _examples(frame, missing, [column])
    return CheckResult(
        count == 0 and result["success"],
        int(count),
        f"0 {column} values missing from the referenced table",
        details,
    )


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
    candidate: float | None,
    published: float | None,
    *,
    max_drop: float,
    forced: bool = False,
    datasets: tuple[str | None, str | None] = (None, None),
) -> CheckResult:
    """A new model's metric may fall below the published one's by at most ``max_drop``.

    ``datasets`` (the candidate's release family, the published model's) go into the details;
    when both are known and differ, a ``note`` says the two were validated on different data,
    so a failure there asks for a look at the new release, not at the model."""
    if candidate is None:
        return CheckResult(False, None, "a measured validation NDCG@10")
    details = {"published": published, "max_drop": max_drop, "forced": forced}
    now, then = datasets
    if now is not None or then is not None:
        details |= {"dataset": now, "published_dataset": then}
    if now is not None and then is not None and now != then:
        details["note"] = (
            f"validated on {now}, the published model on {then}: the two are not comparable; "
            "after checking the new release, gate.force_publish publishes it once"
        )
    if published is None:
        return CheckResult(True, candidate, "no published model yet", details)
    floor = published - max_drop
    return CheckResult(forced or candidate >= floor, candidate, floor, details)

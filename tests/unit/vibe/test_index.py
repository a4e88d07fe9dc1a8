"""The vibe index in LanceDB: flat below the threshold, IVF-PQ above, recall and prefilter."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ml.vibe import index as vibe_index


def test_plan_index_flat_below_threshold_ivf_pq_above():
    assert vibe_index.plan_index(10_000, 512).kind == "flat"
    plan = vibe_index.plan_index(1_000_000, 512)
    assert (plan.kind, plan.num_partitions, plan.num_sub_vectors) == ("IVF_PQ", 1000, 64)


def test_ivf_pq_recall_and_prefilter(tmp_path):
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((20, 32))
    x = centres[rng.integers(0, 20, 3000)] + 0.3 * rng.standard_normal((3000, 32))
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    data = pa.table(
        {
            "id": np.arange(3000),
            "year": 1950 + np.arange(3000) % 60,
            "vector": vibe_index.vector_array(x),
        }
    )
    plans = vibe_index.write_table(tmp_path, "t", data, ann_min_rows=1000)
    assert plans[0].kind == "IVF_PQ"
    table = vibe_index.connect(tmp_path).open_table("t")
    hits = 0
    for q in x[:20] + 0.05:
        got = vibe_index.search(table, q, 10, select=["id"])
        hits += len(set(got["id"].to_pylist()) & set(np.argsort(-(x @ q))[:10].tolist()))
    assert hits / 200 >= 0.9
    got = vibe_index.search(table, x[0], 10, where="year > 2005", select=["id", "year"])
    assert got.num_rows == 10 and min(got["year"].to_pylist()) > 2005


def test_a_column_searched_under_a_prefilter_is_planned_for_the_rows_it_can_return(tmp_path):
    """The movies' frame vectors: zeros for the movies without a trailer, which the search
    filters out, so 40 real vectors among 3,000 rows get the flat plan, and the search finds
    them exactly; the text vectors of every row still get IVF-PQ."""
    rng = np.random.default_rng(1)
    frame = np.zeros((3000, 16), dtype=np.float32)
    frame[:40] = rng.standard_normal((40, 16))
    frame[:40] /= np.linalg.norm(frame[:40], axis=1, keepdims=True)
    text = rng.standard_normal((3000, 16)).astype(np.float32)
    text /= np.linalg.norm(text, axis=1, keepdims=True)
    data = pa.table(
        {
            "id": np.arange(3000),
            "has_trailer": np.arange(3000) < 40,
            "vector": vibe_index.vector_array(frame),
            "text_vector": vibe_index.vector_array(text),
        }
    )
    plans = vibe_index.write_table(
        tmp_path,
        "movies",
        data,
        vector_columns=("vector", "text_vector"),
        ann_min_rows=1000,
        searched_rows={"vector": 40},
    )
    assert [(p.column, p.kind, p.rows) for p in plans] == [
        ("vector", "flat", 40),
        ("text_vector", "IVF_PQ", 3000),
    ]
    table = vibe_index.connect(tmp_path).open_table("movies")
    got = vibe_index.search(table, frame[7], 5, where="has_trailer", select=["id"])
    assert got["id"].to_pylist()[0] == 7

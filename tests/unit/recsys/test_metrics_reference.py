"""Our ranking metrics against Microsoft Recommenders' ``python_evaluation`` on real data.

The reference implementation is read from the ``recommenders`` wheel on PyPI (fetched
once, without its heavy dependencies, into the user cache) and imported from there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import polars as pl
import pytest

from ml.recsys.evaluation import make_split
from ml.recsys.metrics import ranking_metrics
from ml.recsys.models import build

WHEEL = "recommenders==1.2.1"


@pytest.fixture(scope="session")
def reference():
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "cineaesthete"
    target = cache / "recommenders-1.2.1"
    if not (target / "recommenders" / "evaluation" / "python_evaluation.py").exists():
        cache.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(cache), WHEEL]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            pytest.fail(f"could not fetch {WHEEL} from PyPI: {done.stderr[-300:]}")
        with zipfile.ZipFile(next(cache.glob("recommenders-1.2.1-*.whl"))) as wheel:
            wheel.extractall(target)
    sys.path.insert(0, str(target))
    try:
        from recommenders.evaluation import python_evaluation
    finally:
        sys.path.remove(str(target))
    return python_evaluation


def test_metrics_match_microsoft_recommenders(reference, movielens_frame) -> None:
    ratings = movielens_frame.filter(pl.col("userId") <= 120).select(
        pl.col("userId").alias("user_id"),
        pl.col("movieId").alias("item_id"),
        "rating",
        "timestamp",
    )
    split = make_split(ratings, "stratified", seed=42)
    model = build("itemknn", {"neighbours": 50}).fit(split.train.matrix)
    items, scores = model.recommend(split.train.matrix, 10)
    ours = ranking_metrics(items, split.test.matrix, k=10)

    users = split.train.user_ids.repeat(10)
    keep = items.ravel() >= 0
    pred = pl.DataFrame(
        {
            "userID": users[keep],
            "itemID": split.train.item_ids[items.ravel()[keep]],
            "prediction": scores.ravel()[keep],
        }
    ).to_pandas()
    true = split.test_frame.select(
        pl.col("user_id").alias("userID"),
        pl.col("item_id").alias("itemID"),
        pl.col("rating"),
    ).to_pandas()
    kw = {"k": 10, "col_rating": "rating"}
    assert ours["ndcg@10"] == pytest.approx(reference.ndcg_at_k(true, pred, **kw), abs=1e-9)
    assert ours["map@10"] == pytest.approx(reference.map_at_k(true, pred, **kw), abs=1e-9)
    assert ours["precision@10"] == pytest.approx(
        reference.precision_at_k(true, pred, **kw), abs=1e-9
    )
    assert ours["recall@10"] == pytest.approx(reference.recall_at_k(true, pred, **kw), abs=1e-9)

"""Scale benchmark: every stage of the recommendation spine next to its raw bound, same run.

For each size (synthetic MovieLens-shaped releases from ``ml.data.synthetic``, written once
into ``--cache`` and reused) each stage runs twice, each time in a fresh subprocess that
reports its wall time (imports and input loading excluded) and its peak RSS: once as the
pipeline does it, once as the bare library call it cannot beat.

===========  ========================================  ==========================================
stage        ours                                      raw bound
===========  ========================================  ==========================================
ingest       the ``movielens`` asset (read, validate,  ``pl.read_csv`` of ratings.csv and
             quarantine, data versions)                movies.csv
checks       every check of ``assets.ingest_checks``   one polars pass of the same rules (nulls,
             (polars + great-expectations)             range, references, ``is_duplicated``)
csr          ``build_interactions(ratings, movies)``   ``np.unique`` id maps + ``scipy`` CSR
als          ``AlsModel`` (64 factors, 15 iters)       implicit's ALS, same parameters
top-k        ``model.recommend`` (top 100, seen        implicit's batched ``recommend`` over the
             excluded)                                 same factors
parquet      ``assets.storage.store`` of the lists     ``pyarrow.parquet.write_table``
copy         ``publish.postgres.Publisher.publish``    psycopg2 ``COPY`` of the same rows into
             (a new version, keys built after the      the same columns, without the DDL's keys
             COPY, views switched)
===========  ========================================  ==========================================

    .venv/bin/python benchmarks/scale.py --sizes 1M,5M
    .venv/bin/python benchmarks/scale.py --sizes 1M,5M,25M --out docs/scale_benchmark.md

Timings are ratios within one run on this machine, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ["ingest", "checks", "csr", "als", "topk", "parquet", "copy"]
FACTORS, ITERATIONS, REGULARIZATION, K = 64, 15, 0.05, 100


def _size(text: str) -> int:
    text = text.strip().upper()
    scale = {"K": 1_000, "M": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("KM")) * scale)


def _label(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1_000}K"


# --- the stages, run inside a child process -------------------------------------------------


def _inputs(work: Path, *names: str):
    import polars as pl

    out = []
    for name in names:
        if name in ("ratings", "movies", "recs"):
            out.append(pl.read_parquet(work / f"{name}.parquet"))
        elif name == "interactions":
            from ml.recsys.interactions import Interactions

            out.append(Interactions.load(work / "interactions"))
        elif name == "model":
            from ml.recsys.models.base import Recommender

            out.append(Recommender.load(work / "model"))
    return out


def _ingest(side: str, release: Path, work: Path, url: str):
    import polars as pl

    if side == "bare":
        return lambda: (pl.read_csv(release / "ratings.csv"), pl.read_csv(release / "movies.csv"))
    import dagster as dg

    from assets.ingest import MovieLensConfig, movielens

    context, config = dg.build_asset_context(), MovieLensConfig(source=str(release))

    def run():
        return {o.output_name: o.value for o in movielens(context, config)}

    def keep(outs):
        outs["ratings"].write_parquet(work / "ratings.parquet")
        outs["movies"].write_parquet(work / "movies.parquet")
        outs["quarantine"].write_parquet(work / "quarantine.parquet")

    from ml.data.synthetic import write_release

    small = MovieLensConfig(source=str(write_release(work / "tiny", 2_000, seed=1).path))
    return run, keep, lambda: list(movielens(context, small))


def _checks(side: str, release: Path, work: Path, url: str):
    import polars as pl

    ratings, movies = _inputs(work, "ratings", "movies")
    if side == "bare":
        keys = ["user_id", "item_id", "timestamp"]

        def bare():
            return ratings.select(
                pl.sum_horizontal(pl.all().null_count()).alias("nulls"),
                (~pl.col("rating").is_between(0.5, 5.0)).sum().alias("outside"),
                (~pl.col("item_id").is_in(movies["item_id"].implode())).sum().alias("unknown"),
                pl.struct(keys).is_duplicated().sum().alias("duplicates"),
            ), movies.select(pl.col("item_id").is_duplicated().sum(), pl.col("title").null_count())

        return bare
    import inspect

    import dagster as dg

    from assets import ingest_checks
    from assets.resources import GateResource

    quarantine = pl.read_parquet(work / "quarantine.parquet")
    gate = GateResource()
    checks = [c for c in vars(ingest_checks).values() if isinstance(c, dg.AssetChecksDefinition)]

    def run(tables=None):
        tables = tables or {"ratings": ratings, "movies": movies, "quarantine": quarantine}
        values = {**tables, "gate": gate}
        results = {}
        for check in checks:
            names = inspect.signature(check.node_def.compute_fn.decorated_fn).parameters
            results[check.node_def.name] = check(**{n: values[n] for n in names})
        failed = [name for name, result in results.items() if not result.passed]
        if failed:
            raise SystemExit(f"checks failed on synthetic data: {failed}")
        return results

    small = {"ratings": ratings.head(100), "movies": movies, "quarantine": quarantine}
    return run, None, lambda: run(small)


def _csr(side: str, release: Path, work: Path, url: str):
    ratings, movies = _inputs(work, "ratings", "movies")
    if side == "bare":
        import numpy as np
        import scipy.sparse as sp

        def bare():
            users, rows = np.unique(ratings["user_id"].to_numpy(), return_inverse=True)
            items, cols = np.unique(ratings["item_id"].to_numpy(), return_inverse=True)
            values = ratings["rating"].to_numpy().astype(np.float32)
            return sp.csr_matrix((values, (rows, cols)), shape=(len(users), len(items)))

        return bare
    from ml.recsys.interactions import build_interactions

    return lambda: build_interactions(ratings, movies=movies), lambda x: x.save(
        work / "interactions"
    )


def _als(side: str, release: Path, work: Path, url: str):
    (x,) = _inputs(work, "interactions")
    if side == "bare":
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        def bare():
            model = AlternatingLeastSquares(
                factors=FACTORS, regularization=REGULARIZATION, alpha=1.0,
                iterations=ITERATIONS, random_state=42,
            )  # fmt: skip
            with threadpool_limits(limits=1, user_api="blas"):
                model.fit(x.matrix, show_progress=False)
            return model

        return bare
    from ml.recsys.models.als import AlsModel, AlsParams

    params = AlsParams(factors=FACTORS, regularization=REGULARIZATION, iterations=ITERATIONS)
    model = AlsModel(params, seed=42, use_gpu=False)
    return lambda: model.fit(x.matrix), lambda m: m.save(work / "model")


def _topk(side: str, release: Path, work: Path, url: str):
    import numpy as np

    x, model = _inputs(work, "interactions", "model")
    if side == "bare":
        from implicit.cpu.als import AlternatingLeastSquares

        bare_model = AlternatingLeastSquares(factors=model.user_factors.shape[1])
        bare_model.user_factors, bare_model.item_factors = model.user_factors, model.item_factors
        users = np.arange(x.shape[0])
        return lambda: bare_model.recommend(users, x.matrix, N=K, filter_already_liked_items=True)

    def keep(result):
        import polars as pl

        items, scores = result
        n_users = items.shape[0]
        pl.DataFrame(
            {
                "user_id": np.repeat(x.user_ids, K),
                "rank": np.tile(np.arange(1, K + 1, dtype=np.int32), n_users),
                "item_id": x.item_ids[items.ravel()],
                "score": scores.ravel(),
            }
        ).write_parquet(work / "recs.parquet")

    # The top-k kernel is torch's: imported here, as imports are not timed (in a pipeline
    # process torch is already loaded by then).
    import torch  # noqa: F401

    return lambda: model.recommend(x.matrix, K), keep


def _published(recs):
    import polars as pl

    return recs.with_columns(
        pl.lit(None, pl.Int64).alias("because_item_id"),
        pl.lit(None, pl.Float32).alias("because_similarity"),
        pl.lit("Popular with viewers overall").alias("reason"),
    )


def _parquet(side: str, release: Path, work: Path, url: str):
    (recs,) = _inputs(work, "recs")
    if side == "bare":
        import pyarrow.parquet as pq

        table = recs.to_arrow()
        return lambda: pq.write_table(table, work / "bare.parquet")
    from assets.resources import CineHome
    from assets.storage import store

    home = CineHome(path=str(work / "home"))
    return lambda: store(home, "user_recommendations", recs)


def _copy(side: str, release: Path, work: Path, url: str):
    import io

    recs = _published(_inputs(work, "recs")[0])
    if side == "bare":
        import psycopg2

        from publish import sqlfiles

        def bare():
            with psycopg2.connect(url) as conn, conn.cursor() as cur:
                cur.execute("DROP SCHEMA IF EXISTS bare CASCADE; CREATE SCHEMA bare")
                # The DDL's columns and NOT NULLs, without its keys and CHECKs (LIKE copies
                # neither): the bound is the COPY alone; ours also builds the two key indexes.
                template = sqlfiles.ident("bare", "ddl")
                cur.execute(sqlfiles.compose("tables/user_recommendations", table=template))
                cur.execute("CREATE TABLE bare.user_recommendations (LIKE bare.ddl)")
                buf = io.BytesIO()
                recs.write_csv(buf, null_value="")
                buf.seek(0)
                columns = ", ".join(recs.columns)
                cur.copy_expert(
                    f"COPY bare.user_recommendations ({columns}) FROM STDIN CSV HEADER", buf
                )
            conn.close()

        return bare
    from publish.postgres import Publisher

    publisher = Publisher(url)
    return lambda: publisher.publish({"user_recommendations": recs}, run_id="scale-benchmark")


def _peak_mb() -> float:
    """Peak RSS of this process so far: VmHWM, which (unlike ``ru_maxrss``) does not carry
    over the parent's peak through fork and exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(stage: str, side: str, release: Path, work: Path, url: str) -> dict:
    """Run one side of one stage; its seconds and peak RSS, and for ours the cost of the same
    code on a tiny input: first in the process (imports, contexts), then again (per run)."""
    import numpy  # noqa: F401 - every stage has it loaded in a pipeline run
    import polars  # noqa: F401

    made = globals()[f"_{stage}"](side, release, work, url)
    run, keep, tiny = (*made, None)[:3] if isinstance(made, tuple) else (made, None, None)
    first = again = 0.0
    if tiny is not None:
        started = time.perf_counter()
        tiny()
        first = time.perf_counter() - started
        started = time.perf_counter()
        tiny()
        again = time.perf_counter() - started
    base = _peak_mb()
    started = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - started
    peak = _peak_mb()
    if keep is not None:
        keep(result)
    return {
        "seconds": seconds,
        "tiny_first": first,
        "tiny": again,
        "peak_mb": peak,
        "base_mb": base,
    }


# --- the parent: releases, subprocesses, the table ------------------------------------------


def measure(stage: str, side: str, release: Path, work: Path, url: str) -> dict:
    cmd = [sys.executable, __file__, "--child", stage, side, str(release), str(work), url]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{stage}/{side} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def release_for(n: int, cache: Path, seed: int) -> tuple[Path, float | None]:
    from ml.data.synthetic import is_synthetic, write_release

    folder = cache / f"synthetic-{n}-s{seed}"
    if is_synthetic(folder) and (folder / "movies.csv").exists():
        return folder, None
    made = write_release(folder, n, seed=seed)
    return folder, made.seconds


def table(rows: list[dict]) -> str:
    head = (
        "| ratings | stage | ours s | bound s | ratio | ours on a tiny input s (first, again) "
        "| ours peak RSS MB | bound peak RSS MB |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|\n"
    )
    lines = []
    for r in rows:
        ratio = r["ours"]["seconds"] / max(r["bare"]["seconds"], 1e-9)
        tiny = (
            ""
            if not r["ours"]["tiny_first"]
            else (f"{r['ours']['tiny_first']:.2f}, {r['ours']['tiny']:.2f}")
        )
        lines.append(
            f"| {r['size']} | {r['stage']} | {r['ours']['seconds']:.2f} | "
            f"{r['bare']['seconds']:.2f} | {ratio:.2f} | {tiny} | "
            f"{r['ours']['peak_mb']:,.0f} | "
            f"{r['bare']['peak_mb']:,.0f} |"
        )
    return head + "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1M,5M", help="comma-separated, e.g. 1M,5M,25M")
    parser.add_argument("--stages", default=",".join(STAGES))
    parser.add_argument("--cache", default="/tmp/cine-scale-cache", help="synthetic releases")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="also write the rows as JSON here")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        stage, side, release, work, url = args.child
        print(json.dumps(child(stage, side, Path(release), Path(work), url)))
        return
    from publish.postgres import embedded_url, stop_embedded

    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="cine-scale-", dir=cache))
    stages = args.stages.split(",")
    url = embedded_url(scratch / "pg") if "copy" in stages else ""
    rows: list[dict] = []
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores", flush=True)
    try:
        for n in (_size(s) for s in args.sizes.split(",")):
            release, generated = release_for(n, cache, args.seed)
            if generated is not None:
                print(f"{_label(n)}: generated {release} in {generated:.1f} s", flush=True)
            work = scratch / _label(n)
            work.mkdir()
            for stage in stages:
                row = {"size": _label(n), "stage": stage}
                # The bound first: ours then reads the same warm page cache it had.
                row["bare"] = measure(stage, "bare", release, work, url)
                row["ours"] = measure(stage, "ours", release, work, url)
                rows.append(row)
                print(table([row]).splitlines()[-1], flush=True)
            shutil.rmtree(work)
    finally:
        if url:
            stop_embedded(scratch / "pg", force=True)
        shutil.rmtree(scratch, ignore_errors=True)
    print(table(rows))
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()

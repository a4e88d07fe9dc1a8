"""Hash assignment, interval estimates and CTR lift against simulations with a known truth."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from ml.experiments.assign import assign, bucket
from ml.experiments.config import ExperimentConfig, Variant
from ml.experiments.events import ctr_results
from ml.experiments.stats import bootstrap_mean, two_proportions
from quality.tenants import assignment_balanced

USERS = np.arange(1, 20_001)


def experiment(salt: str = "s1", split=(0.5, 0.5)) -> ExperimentConfig:
    names = ["control", "treatment", "third"][: len(split)]
    return ExperimentConfig(
        "exp", salt, tuple(Variant(n, t, {"hybrid": 1.0}) for n, t in zip(names, split))
    )


def test_assignment_is_stable_across_runs_and_known_values() -> None:
    a = assign(USERS, experiment())
    assert a.equals(assign(USERS, experiment()))
    # the documented recipe: SHA-256 of salt, unit separator, user id; first 8 bytes / 2^64
    assert bucket(42, "s1") != bucket(42, "s2")
    assert bucket(1, "s1") == pytest.approx(
        int.from_bytes(__import__("hashlib").sha256(b"s1\x1f1").digest()[:8], "big") / 2**64
    )


@pytest.mark.parametrize("split", [(0.5, 0.5), (0.9, 0.1), (0.2, 0.3, 0.5)])
def test_proportions_are_within_sampling_error(split) -> None:
    a = assign(USERS, experiment(split=split))
    counts = dict(a.group_by("variant").len().iter_rows())
    n = len(USERS)
    for v, share in zip(experiment(split=split).variants, split):
        se = np.sqrt(share * (1 - share) / n)
        assert abs(counts[v.name] / n - share) < 4 * se
    traffic = {v.name: v.traffic for v in experiment(split=split).variants}
    result = assignment_balanced(a, {"exp": traffic}, USERS)
    assert result.value < 4


def test_different_salts_are_independent() -> None:
    a = assign(USERS, experiment("s1"))["variant"].to_numpy() == "treatment"
    b = assign(USERS, experiment("s2"))["variant"].to_numpy() == "treatment"
    both = (a & b).mean()
    # independent halves overlap on a quarter of users, within sampling error
    assert abs(both - 0.25) < 4 * np.sqrt(0.25 * 0.75 / len(USERS))
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.03


def test_unbalanced_or_duplicated_assignment_fails_the_check() -> None:
    a = assign(USERS[:1000], experiment())
    skewed = a.with_columns(pl.lit("control").alias("variant"))
    assert not assignment_balanced(
        skewed, {"exp": {"control": 0.5, "treatment": 0.5}}, USERS[:1000]
    ).passed
    doubled = pl.concat([a, a.head(5)])
    assert not assignment_balanced(
        doubled, {"exp": {"control": 0.5, "treatment": 0.5}}, USERS[:1000]
    ).passed


def simulate(p_a: float, p_b: float, n: int, rng) -> pl.DataFrame:
    """Exposure and click events of two variants with known click probabilities."""
    rows = []
    for variant, p in (("control", p_a), ("treatment", p_b)):
        clicks = rng.random(n) < p
        users = rng.integers(1, 10**6, n)
        for kind, who in (("exposure", users), ("click", users[clicks])):
            rows.append(
                pl.DataFrame(
                    {
                        "experiment": "exp",
                        "variant": variant,
                        "user_id": who,
                        "item_id": 7,
                        "event": kind,
                    }
                )
            )
    return pl.concat(rows)


def test_the_lift_estimate_recovers_a_known_true_lift() -> None:
    rng = np.random.default_rng(7)
    p_a, p_b = 0.05, 0.06
    result = ctr_results(simulate(p_a, p_b, 40_000, rng), [experiment()])
    t = result.filter(pl.col("variant") == "treatment").row(0, named=True)
    assert t["diff_lo"] <= p_b - p_a <= t["diff_hi"]
    assert t["lift_lo"] <= p_b / p_a - 1 <= t["lift_hi"]
    assert t["p_value"] < 0.01 and t["note"] == "against control"


def test_the_intervals_cover_the_truth_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(11)
    p_a, p_b, n, sims = 0.1, 0.12, 4000, 300
    diff_hits = lift_hits = 0
    for _ in range(sims):
        c_a, c_b = rng.binomial(n, p_a), rng.binomial(n, p_b)
        t = two_proportions(c_a, n, c_b, n)
        diff_hits += t["diff_lo"] <= p_b - p_a <= t["diff_hi"]
        lift_hits += t["lift_lo"] <= p_b / p_a - 1 <= t["lift_hi"]
    # 95% nominal; 300 simulations put the observed rate within about ±3.8 points (3 sd)
    assert 0.91 <= diff_hits / sims <= 0.99
    assert 0.91 <= lift_hits / sims <= 0.99


def test_no_true_difference_is_not_significant_and_no_events_say_so() -> None:
    rng = np.random.default_rng(3)
    result = ctr_results(simulate(0.08, 0.08, 20_000, rng), [experiment()])
    t = result.filter(pl.col("variant") == "treatment").row(0, named=True)
    assert t["diff_lo"] <= 0 <= t["diff_hi"]
    empty = pl.DataFrame(schema={"experiment": pl.String, "variant": pl.String, "event": pl.String})
    none = ctr_results(empty, [experiment()])
    assert none["note"].to_list() == ["no exposures yet", "no exposures yet"]
    assert none["ctr"].is_null().all()


def test_bootstrap_interval_covers_a_known_mean() -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(0.3, 0.1, 2000)
    mean, lo, hi = bootstrap_mean(values, n_boot=500, seed=1)
    assert lo < 0.3 < hi and lo < mean < hi and hi - lo < 0.02

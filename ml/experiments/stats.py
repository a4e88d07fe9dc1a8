"""Interval estimates for experiments: the percentile bootstrap and two proportions."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats


def bootstrap_mean(
    values: np.ndarray, *, n_boot: int = 500, alpha: float = 0.05, seed: int = 0
) -> tuple[float, float, float]:
    """Mean of ``values`` (one per user) and its percentile bootstrap interval."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0:
        return math.nan, math.nan, math.nan
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(values), size=(n_boot, len(values)))
    means = values[idx].mean(axis=1)
    lo, hi = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return float(values.mean()), float(lo), float(hi)


def two_proportions(
    clicks_a: int, n_a: int, clicks_b: int, n_b: int, *, alpha: float = 0.05
) -> dict[str, float]:
    """B against A: CTRs, the difference with its Wald interval, the relative lift with
    a log-ratio (Katz) interval, and the pooled two-proportion z test.

    Assumes independent exposures; many exposures of one user are correlated, which makes
    these intervals too narrow (a user-level bootstrap is the remedy at small scale).
    """
    if min(n_a, n_b) <= 0:
        raise ValueError("both variants need exposures")
    p_a, p_b = clicks_a / n_a, clicks_b / n_b
    zq = stats.norm.ppf(1 - alpha / 2)
    se = math.sqrt(p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b)
    pooled = (clicks_a + clicks_b) / (n_a + n_b)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    z = (p_b - p_a) / se0 if se0 > 0 else 0.0
    out = {
        "ctr_a": p_a,
        "ctr_b": p_b,
        "diff": p_b - p_a,
        "diff_lo": p_b - p_a - zq * se,
        "diff_hi": p_b - p_a + zq * se,
        "z": z,
        "p_value": float(2 * stats.norm.sf(abs(z))),
        "lift": math.nan,
        "lift_lo": math.nan,
        "lift_hi": math.nan,
    }
    if clicks_a > 0 and clicks_b > 0:
        log_ratio = math.log(p_b / p_a)
        se_log = math.sqrt(1 / clicks_a - 1 / n_a + 1 / clicks_b - 1 / n_b)
        out["lift"] = p_b / p_a - 1
        out["lift_lo"] = math.exp(log_ratio - zq * se_log) - 1
        out["lift_hi"] = math.exp(log_ratio + zq * se_log) - 1
    return out

"""How a pure ``quality`` result becomes a Dagster asset check: one decorator, one converter."""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg

from quality.result import CheckResult


def gate_check(
    asset: str, name: str, description: str, *, ins: Sequence[str] = (), warn: bool = False
):
    """``@dg.asset_check`` on ``asset``, blocking (publishing waits on it) unless ``warn``;
    ``ins`` names other assets the check reads."""
    return dg.asset_check(
        asset=asset,
        name=name,
        description=description,
        blocking=not warn,
        additional_ins={key: dg.AssetIn(key) for key in ins},
    )


def to_dagster(result: CheckResult, *, warn: bool = False) -> dg.AssetCheckResult:
    """The check result with ``value``, ``threshold`` and every detail as metadata."""
    metadata = {
        key: dg.MetadataValue.json(value) if isinstance(value, (list, tuple, dict)) else value
        for key, value in result.metadata().items()
    }
    severity = dg.AssetCheckSeverity.WARN if warn else dg.AssetCheckSeverity.ERROR
    return dg.AssetCheckResult(passed=bool(result.passed), metadata=metadata, severity=severity)

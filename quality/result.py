"""The one shape of a check's outcome: passed, the measured value, the threshold, details."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple


class CheckResult(NamedTuple):
    """What a pure check function returns; Dagster wrappers turn it into check metadata.

    ``value`` is what was measured and ``threshold`` what passing means (a number, or a
    sentence when the rule is not one number); ``details`` holds counts and a few offending
    examples (plain Python values, JSON-serialisable).
    """

    passed: bool
    value: Any
    threshold: Any
    details: Mapping[str, Any] = MappingProxyType({})

    def metadata(self) -> dict[str, Any]:
        """``value``, ``threshold`` and every detail, as one flat mapping."""
        return {"value": self.value, "threshold": self.threshold, **self.details}


def combine(results: dict[str, CheckResult], threshold: Any) -> CheckResult:
    """Several results as one: passed when all pass, ``value`` the sum of their values, each
    part's value kept under its name in ``details``."""
    value = sum(r.value or 0 for r in results.values())
    details = {name: r.value for name, r in results.items()}
    return CheckResult(all(r.passed for r in results.values()), value, threshold, details)

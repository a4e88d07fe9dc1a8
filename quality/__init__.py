"""Quality checks as pure functions returning ``CheckResult`` (no Dagster).

- ``result``: ``CheckResult(passed, value, threshold, details)``.
- ``expectations``: great-expectations over the ingested tables; ``recommendations``: lists.
- ``content``, ``sentiment``, ``vibe``: checks of those domains' outputs.
"""

__all__ = ["content", "expectations", "recommendations", "result", "sentiment", "vibe"]

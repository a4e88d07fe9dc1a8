"""Stakeholder reports: the run summary (``summary``) and its HTML (``render``).

- ``summary``: ``build_run_summary`` reads one run back from the Dagster instance.
- ``sections``: the hybrid, sentiment and vibe sections; ``render``: one self-contained HTML.
"""

__all__ = ["render", "sections", "summary"]

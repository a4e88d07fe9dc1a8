"""Collaborative filtering: interactions, models, metrics, evaluation, top-k (layer 2).

- ``interactions``: ``Interactions`` (CSR + id maps) and ``build_interactions``.
- ``models``: every recommender behind one interface (``MODELS``, ``build``).
- ``metrics``: full-catalogue ranking metrics; ``evaluation``: splits, tuning, ``evaluate``.
- ``split``: seeded per-user splits; ``recommend``: per-user top-N with a first reason.
"""

__all__ = ["evaluation", "interactions", "metrics", "models", "recommend", "split"]

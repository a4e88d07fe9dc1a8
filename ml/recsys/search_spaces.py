"""The search space of every model, the pipeline's candidates per validation protocol, and
the model ``cine recommend`` uses by default."""

from __future__ import annotations

#: Search spaces, ordered so that the first configurations are the known-good defaults.
SEARCH_SPACES: dict[str, list[dict]] = {
    "popularity": [{}],
    "ease": [{"l2": v} for v in (500.0, 250.0, 1000.0, 100.0)],
    # The first entry is the one `tune` selects on ML-100K (docs/model_benchmark.md).
    "ease_sessions": [
        {
            "l2": l2,
            "session_weight": sw,
            "adjacent_weight": aw,
            "genre_weight": gw,
            "popularity_penalty": pp,
            "als_weight": als,
        }
        for l2, sw, aw, gw, pp, als in (
            (550.0, 1.0, 0.6, 0.2, 0.15, 0.2),
            (550.0, 1.0, 0.6, 0.2, 0.0, 0.2),
            (550.0, 1.0, 0.6, 0.2, 0.0, 0.0),
            (550.0, 1.0, 0.6, 0.2, 0.0, 0.1),
            (550.0, 1.0, 0.6, 0.2, 0.0, 0.3),
            (550.0, 1.0, 0.6, 0.2, 0.15, 0.0),
            (800.0, 1.0, 0.6, 0.2, 0.15, 0.0),
            (400.0, 1.25, 0.0, 0.0, 0.0, 0.0),
            (550.0, 0.75, 0.6, 0.3, 0.15, 0.0),
        )
    ],
    "rp3beta": [{"alpha": a, "beta": b} for a, b in ((0.8, 0.6), (1.0, 0.5), (0.6, 0.4))],
    "itemknn": [{"neighbours": n} for n in (100, 50, 200)],
    "als": [
        {"factors": f, "regularization": r, "alpha": a}
        for f, r, a in ((32, 0.05, 1.0), (64, 0.05, 1.0), (16, 0.05, 1.0), (32, 0.1, 2.0))
    ],
    "bpr": [{"learning_rate": 0.01, "regularization": 0.01, "iterations": 100}],
    "multvae": [{}],
    # Torch models, measured in docs/model_benchmark.md; not in the pipeline's default tuning
    # list (assets/models.py), whose nightly budget they would not fit on CPU.
    "sasrec": [{}, {"dropout": 0.3}, {"dim": 96}],
    "lightgcn": [{}, {"genre_nodes": True}],
    "neumf": [{}],
}


#: The model the pipeline's selection picks on MovieLens (``model_tuning`` searches
#: ``SEARCH_SPACES`` on validation splits of the training part, ``model_selection`` keeps the
#: best validation score); ``benchmarks/evaluate_models.py`` re-runs that selection and
#: reports whether it still agrees. ``cine recommend`` uses it when no ``--model`` is given.
SELECTED_DEFAULT = "ease_sessions"


def selected_default() -> tuple[str, dict]:
    """``(name, params)`` of ``SELECTED_DEFAULT``: the first configuration of its search space,
    the one the selection picks (docs/model_benchmark.md)."""
    return SELECTED_DEFAULT, dict(SEARCH_SPACES[SELECTED_DEFAULT][0])


PROTOCOLS = ("stratified", "temporal")

#: The pipeline's default candidates per validation protocol. Under leave-last-out SASRec is
#: the best model (docs/model_benchmark.md), so it is a candidate there, last: every model's
#: share of the budget is what is left divided by the models still to come, so the fast
#: models run first and what they leave goes to it.
CANDIDATES: dict[str, list[str]] = {
    "stratified": ["popularity", "itemknn", "rp3beta", "als", "bpr", "ease", "ease_sessions"],
    "temporal": ["popularity", "itemknn", "rp3beta", "als", "ease", "ease_sessions", "sasrec"],
}

#: Above this many items the models whose memory grows with items² (``SQUARE_MEMORY``) are
#: not tuned, and ``cine recommend`` without ``--model`` falls back to ``LARGE_CATALOGUE``.
MAX_DENSE_ITEMS = 20_000
SQUARE_MEMORY = ("ease", "ease_sessions", "itemknn", "rp3beta")


def too_large(name: str, n_items: int, max_items: int = MAX_DENSE_ITEMS) -> str | None:
    """Why model ``name`` is not fitted on ``n_items`` items (its memory grows with items²
    past ``max_items``), or None when it may be: what tuning and the hybrid's extras skip."""
    if name in SQUARE_MEMORY and n_items > max_items:
        return f"{n_items:,} items > max_items {max_items:,} (memory grows with items²)"
    return None


#: The default model above ``MAX_DENSE_ITEMS``: the best candidate left (docs/model_benchmark.md).
LARGE_CATALOGUE = "als"

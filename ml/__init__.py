"""The CineAesthete library: domain packages in layers, no Dagster.

Layer 0: ``device`` (CPU/GPU choice), ``artifacts`` (the one save/load), ``text``.
Layer 1: ``data``. Layer 2: ``recsys``, ``content``, ``vision``. Layer 3: ``sentiment``,
``vibe``. Layer 4: ``hybrid``. A package imports only from lower layers and itself
(``tests/test_import_rules.py``).
"""

__all__ = [
    "device",
    "artifacts",
    "text",
    "data",
    "recsys",
    "content",
    "vision",
    "sentiment",
    "vibe",
    "hybrid",
]

"""The ``cine`` command line (``cli.main:main``).

- ``main``: ``run``, ``status``, ``recommend``, ``evaluate``, ``db``.
- ``vibe``, ``coldstart``, ``sentiment``: their sub-commands; ``home``: the home-folder rule.
"""

__all__ = ["coldstart", "home", "main", "sentiment", "vibe"]

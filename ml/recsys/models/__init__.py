"""Every recommender behind one interface (``ml.recsys.models.base.Recommender``).

Importing a model module registers its classes (``Recommender.__init_subclass__``), so
``MODELS`` is the registry itself: a new model class shows up in ``build``, ``cine recommend
--model help`` and the contract test without being listed anywhere.
"""

from ml.recsys.models import (  # noqa: F401 - imported to register their models
    als,
    graph,
    ncf,
    neighbours,
    sequential,
    vae,
)
from ml.recsys.models.base import REGISTRY, Recommender

#: Every model class by registry name, in definition order.
MODELS: dict[str, type[Recommender]] = REGISTRY


def build(
    name: str, params: dict | None = None, *, seed: int = 42, use_gpu: bool | None = None
) -> Recommender:
    """A fresh, unfitted model by registry name, e.g. ``build("ease", {"l2": 500})``."""
    if name not in MODELS:
        raise KeyError(f"unknown model {name!r}; available: {', '.join(MODELS)}")
    cls = MODELS[name]
    return cls(cls.Params(**(params or {})), seed=seed, use_gpu=use_gpu)


__all__ = ["MODELS", "Recommender", "build"]

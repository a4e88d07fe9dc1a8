"""Every recommender behind one interface (``ml.recsys.models.base.Recommender``)."""

from ml.recsys.models.als import AlsModel, BprModel
from ml.recsys.models.base import Recommender
from ml.recsys.models.neighbours import (
    EaseModel,
    EaseSessionsModel,
    ItemKnnModel,
    PopularityModel,
    Rp3BetaModel,
)
from ml.recsys.models.vae import MultVaeModel

MODELS: dict[str, type[Recommender]] = {
    m.name: m
    for m in (
        PopularityModel,
        ItemKnnModel,
        Rp3BetaModel,
        AlsModel,
        BprModel,
        EaseModel,
        EaseSessionsModel,
        MultVaeModel,
    )
}


def build(
    name: str, params: dict | None = None, *, seed: int = 42, use_gpu: bool | None = None
) -> Recommender:
    """A fresh, unfitted model by registry name, e.g. ``build("ease", {"l2": 500})``."""
    if name not in MODELS:
        raise KeyError(f"unknown model {name!r}; available: {', '.join(MODELS)}")
    cls = MODELS[name]
    return cls(cls.Params(**(params or {})), seed=seed, use_gpu=use_gpu)


__all__ = ["MODELS", "Recommender", "build"]

"""The re-ranker's inputs: candidate sources, per-user features, and the models behind them.

``RankingContext`` is built the same way wherever a ranker is learned, gated or served
(``ml.hybrid.ranking``): every model is fitted on one interactions matrix and scores the users
of that same matrix, so the features do not change meaning between learning and serving.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl
import scipy.sparse as sp

from ml.content.embeddings import ContentEmbeddings, decay_matrix, user_profiles
from ml.recsys.interactions import Interactions
from ml.recsys.models import build
from ml.recsys.models.base import Recommender
from ml.sentiment.movie_reviews import by_item

#: Features every ranker has, in column order. Column 0 is the selected model's score,
#: z-scored per user (``ml.tenants.lists`` reads it as the single model's score).
BASE_FEATURES = ("cf", "cf_rank", "content", "popularity", "recency", "era_gap", "sentiment")
#: Models whose scores can be extra features (``HybridParams.extra_models``), with their
#: parameters: the first configuration of each one's search space where it was measured.
#: ALS, ItemKNN, RP3beta and EASE fit in seconds on 100K ratings on 2 CPU cores; SASRec,
#: LightGCN and NeuMF take minutes there (docs/model_benchmark.md).
FEATURE_MODELS: dict[str, dict] = {
    "als": {"factors": 32, "regularization": 0.05, "alpha": 1.0},
    "itemknn": {"neighbours": 100},
    "rp3beta": {"alpha": 0.6, "beta": 0.4},
    "ease": {"l2": 500.0},
    "sasrec": {},
    "lightgcn": {},
    "neumf": {},
}


@dataclass(frozen=True)
class HybridParams:
    n_cf: int = 100
    n_content: int = 50
    n_popular: int = 30
    half_life_days: float | None = 365.0
    regularization: float = 1.0
    ascent_rounds: int = 3
    #: CF models (keys of ``FEATURE_MODELS``) fitted beside the selected one; each adds its
    #: per-user z-scored score as a feature and its top ``n_extra`` items as candidates.
    extra_models: tuple[str, ...] = ("als", "itemknn", "rp3beta")
    n_extra: int = 20
    #: Share of each user's ratings held out by each of the two nested stratified validation
    #: splits; small, so that the models the weights are learned with see nearly as much data
    #: as the models they are applied to (81% and 90% of the ratings, then all).
    validation_fraction: float = 0.1
    #: The hybrid is published only when it beats the single model by more than this.
    min_margin: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "extra_models", tuple(self.extra_models))
        unknown = set(self.extra_models) - set(FEATURE_MODELS)
        if unknown:
            raise ValueError(
                f"unknown feature model(s) {sorted(unknown)}; choose from {list(FEATURE_MODELS)}"
            )


def feature_names(params: HybridParams) -> tuple[str, ...]:
    """The feature columns a ranker with ``params`` scores, in order."""
    return BASE_FEATURES + tuple(f"cf_{name}" for name in params.extra_models)


FEATURES = feature_names(HybridParams())


@dataclass(frozen=True)
class ItemSide:
    """Per-item inputs in the interactions' column order: vectors, years, genres, sentiment."""

    vectors: np.ndarray
    years: np.ndarray
    genres: list[list[str]]
    sentiment: np.ndarray

    @classmethod
    def build(
        cls,
        interactions: Interactions,
        emb: ContentEmbeddings,
        movies: pl.DataFrame,
        sentiment: pl.DataFrame | None = None,
    ) -> ItemSide:
        """``movies``: item_id, year, genres; ``sentiment``: movie_id, sentiment_feature."""
        ids = pl.DataFrame({"item_id": interactions.item_ids})
        m = ids.join(movies.select("item_id", "year", "genres"), on="item_id", how="left")
        years = m["year"].cast(pl.Float64).to_numpy()
        years = np.where(np.isnan(years), np.nanmedian(years), years)
        senti = np.zeros(len(ids))
        if sentiment is not None and sentiment.height:
            s = ids.join(
                by_item(sentiment).select("item_id", "sentiment_feature"),
                on="item_id",
                how="left",
            )
            senti = s["sentiment_feature"].fill_null(0.0).to_numpy()
        genres = [g or [] for g in m["genres"].to_list()]
        return cls(emb.aligned(interactions.item_ids), years, genres, senti)


def _zscore(a: np.ndarray) -> np.ndarray:
    mean = np.nanmean(a, axis=1, keepdims=True)
    std = np.nanstd(a, axis=1, keepdims=True)
    return (a - mean) / np.maximum(std, 1e-9)


@dataclass
class RankingContext:
    """The fitted models and per-user inputs that features and candidates are computed from.

    Built the same way wherever a ranker is learned, gated or served: every model is fitted
    on ``interactions`` and scores the users of that same matrix.
    """

    model: Recommender
    extras: dict[str, Recommender]
    x: sp.csr_matrix
    profiles: np.ndarray
    user_years: np.ndarray
    items: ItemSide
    popularity: np.ndarray
    params: HybridParams = field(default_factory=HybridParams)

    @classmethod
    def build(cls, model, interactions, ratings, items: ItemSide, params: HybridParams, seed=42):
        x = interactions.matrix
        extras = {
            name: build(name, FEATURE_MODELS[name], seed=seed).fit_interactions(interactions)
            for name in params.extra_models
        }
        weights = decay_matrix(
            ratings,
            interactions.user_ids,
            interactions.item_ids,
            half_life_days=params.half_life_days,
        )
        total = np.maximum(np.asarray(weights.sum(axis=1)).ravel(), 1e-9)
        user_years = np.asarray(weights @ items.years).ravel() / total
        counts = np.diff(x.tocsc().indptr).astype(np.float64)
        popularity = np.log1p(counts) / max(np.log1p(counts.max()), 1e-9)
        profiles = user_profiles(weights, items.vectors)
        return cls(model, extras, x, profiles, user_years, items, popularity, params)

    @property
    def features_names(self) -> tuple[str, ...]:
        return feature_names(self.params)

    def _scores(self, model: Recommender, rows: np.ndarray, seen: np.ndarray) -> np.ndarray:
        s = np.asarray(model.score(self.x, rows), dtype=np.float64)
        s[seen] = np.nan
        return s

    def features(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Feature tensor (len(rows), n_items, len(features_names)) and the seen mask."""
        seen = self.x[rows].toarray() > 0
        cf = self._scores(self.model, rows, seen)
        order = np.argsort(-np.nan_to_num(cf, nan=-np.inf), axis=1, kind="stable")
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(cf.shape[1])[None, :], axis=1)
        content = self.profiles[rows] @ self.items.vectors.T
        content = np.where(seen, np.nan, content)
        n = cf.shape[1]
        year = self.items.years[None, :]
        columns = [
            _zscore(cf),
            1.0 / np.log2(rank + 2.0),
            _zscore(content),
            np.broadcast_to(self.popularity, (len(rows), n)),
            np.broadcast_to((year - 1900.0) / 100.0, (len(rows), n)),
            np.abs(year - self.user_years[rows, None]) / 50.0,
            np.broadcast_to(self.items.sentiment, (len(rows), n)),
        ]
        columns += [_zscore(self._scores(m, rows, seen)) for m in self.extras.values()]
        return np.nan_to_num(np.stack(columns, axis=-1)), seen

    def candidate_mask(
        self, feats: np.ndarray, seen: np.ndarray, p: HybridParams | None = None
    ) -> np.ndarray:
        """Candidates (len(rows), n_items): the union of the top items of each source."""
        p = p or self.params
        names = feature_names(p)
        sources = [("cf", p.n_cf), ("content", p.n_content), ("popularity", p.n_popular)]
        sources += [(f"cf_{name}", p.n_extra) for name in p.extra_models]
        mask = np.zeros(seen.shape, dtype=bool)
        for name, n_top in sources:
            n_top = min(n_top, seen.shape[1])
            if n_top <= 0:
                continue
            score = np.where(seen, -np.inf, feats[..., names.index(name)])
            top = np.argpartition(-score, n_top - 1, axis=1)[:, :n_top]
            np.put_along_axis(mask, top, True, axis=1)
        return mask & ~seen

"""Hybrid two-stage ranking and MMR diversification (the "surprise me" list: ml.hybrid.surprise).

Stage 1 takes, per user, the union of the top items by a collaborative-filtering model,
by content similarity to the user's time-decayed profile, and by popularity. Stage 2 scores
those candidates with a linear re-ranker over per-user features whose weights are learned
on a validation split (``fit_hybrid``): a held-out item among the candidates is a positive,
every other candidate a negative; logistic regression gives the starting weights and
coordinate ascent on NDCG@10 (``ml.hybrid.ltr``) tunes them for the ranking metric.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import scipy.sparse as sp

from ml import artifacts
from ml.content.embeddings import ContentEmbeddings, decay_matrix, user_profiles
from ml.hybrid.ltr import coordinate_ascent, pad_groups
from ml.recsys.evaluation import make_split
from ml.recsys.interactions import Interactions
from ml.recsys.metrics import ranking_metrics
from ml.recsys.models import build
from ml.recsys.models.base import Recommender
from ml.sentiment.movie_reviews import by_item

FEATURES = ("cf", "cf_rank", "cf2", "content", "popularity", "recency", "era_gap", "sentiment")
#: The second CF model whose score is one more feature (an independent view of the matrix).
SECOND_MODEL = ("als", {"factors": 32, "regularization": 0.05, "alpha": 1.0})


@dataclass(frozen=True)
class HybridParams:
    n_cf: int = 100
    n_content: int = 50
    n_popular: int = 30
    half_life_days: float | None = 365.0
    regularization: float = 1.0
    second_model: bool = True
    ascent_rounds: int = 3


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
    model: Recommender
    second: Recommender | None
    x: sp.csr_matrix
    profiles: np.ndarray
    user_years: np.ndarray
    items: ItemSide
    popularity: np.ndarray

    @classmethod
    def build(cls, model, interactions, ratings, items: ItemSide, params: HybridParams, seed=42):
        x = interactions.matrix
        half_life_days = params.half_life_days
        second = None
        if params.second_model:
            second = build(SECOND_MODEL[0], SECOND_MODEL[1], seed=seed).fit(x)
        weights = decay_matrix(
            ratings, interactions.user_ids, interactions.item_ids, half_life_days=half_life_days
        )
        total = np.maximum(np.asarray(weights.sum(axis=1)).ravel(), 1e-9)
        user_years = np.asarray(weights @ items.years).ravel() / total
        counts = np.diff(x.tocsc().indptr).astype(np.float64)
        popularity = np.log1p(counts) / max(np.log1p(counts.max()), 1e-9)
        profiles = user_profiles(weights, items.vectors)
        return cls(model, second, x, profiles, user_years, items, popularity)

    def features(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Feature tensor (len(rows), n_items, len(FEATURES)) and the seen mask."""
        seen = self.x[rows].toarray() > 0
        cf = np.asarray(self.model.score(self.x, rows), dtype=np.float64)
        cf[seen] = np.nan
        order = np.argsort(-np.nan_to_num(cf, nan=-np.inf), axis=1, kind="stable")
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(cf.shape[1])[None, :], axis=1)
        cf2 = np.zeros_like(cf)
        if self.second is not None:
            cf2 = np.asarray(self.second.score(self.x, rows), dtype=np.float64)
            cf2[seen] = np.nan
            cf2 = _zscore(cf2)
        content = self.profiles[rows] @ self.items.vectors.T
        content = np.where(seen, np.nan, content)
        n = cf.shape[1]
        year = self.items.years[None, :]
        feats = np.stack(
            [
                _zscore(cf),
                1.0 / np.log2(rank + 2.0),
                cf2,
                _zscore(content),
                np.broadcast_to(self.popularity, (len(rows), n)),
                np.broadcast_to((year - 1900.0) / 100.0, (len(rows), n)),
                np.abs(year - self.user_years[rows, None]) / 50.0,
                np.broadcast_to(self.items.sentiment, (len(rows), n)),
            ],
            axis=-1,
        )
        return np.nan_to_num(feats), seen

    def candidate_mask(self, feats: np.ndarray, seen: np.ndarray, p: HybridParams) -> np.ndarray:
        mask = np.zeros(seen.shape, dtype=bool)
        for col, n_top in ((0, p.n_cf), (3, p.n_content), (4, p.n_popular)):
            score = np.where(seen, -np.inf, feats[..., col])
            n_top = min(n_top, score.shape[1])
            top = np.argpartition(-score, n_top - 1, axis=1)[:, :n_top]
            np.put_along_axis(mask, top, True, axis=1)
        return mask & ~seen


@dataclass
class HybridRanker:
    """Learned re-ranker weights (on standardised ``FEATURES``) and how it was validated."""

    coef: np.ndarray
    intercept: float
    mean: np.ndarray
    std: np.ndarray
    params: HybridParams = field(default_factory=HybridParams)
    base_model: str = ""
    base_params: dict = field(default_factory=dict)
    validation: dict = field(default_factory=dict)

    def weights(self) -> dict[str, float]:
        return dict(zip(FEATURES, (float(c) for c in self.coef)))

    def score(self, feats: np.ndarray) -> np.ndarray:
        return ((feats - self.mean) / self.std) @ self.coef + self.intercept

    def save(self, path: Path) -> None:
        meta = {
            "features": list(FEATURES),
            "weights": self.weights(),
            "intercept": self.intercept,
            "params": asdict(self.params),
            "base_model": self.base_model,
            "base_params": self.base_params,
            "validation": self.validation,
        }
        artifacts.save(path, {"coef": self.coef, "mean": self.mean, "std": self.std}, meta)

    @classmethod
    def load(cls, path: Path) -> HybridRanker:
        arrays, meta = artifacts.load(path)
        return cls(
            coef=arrays["coef"],
            intercept=meta["intercept"],
            mean=arrays["mean"],
            std=arrays["std"],
            params=HybridParams(**meta["params"]),
            base_model=meta["base_model"],
            base_params=meta["base_params"],
            validation=meta["validation"],
        )


def fit_hybrid(
    ratings: pl.DataFrame,
    base_model: str,
    base_params: dict,
    emb: ContentEmbeddings,
    movies: pl.DataFrame,
    *,
    sentiment: pl.DataFrame | None = None,
    params: HybridParams = HybridParams(),
    seed: int = 42,
    batch_size: int = 256,
) -> HybridRanker:
    """Learn the re-ranker on a stratified validation split of ``ratings``."""
    from sklearn.linear_model import LogisticRegression

    split = make_split(ratings, "stratified", seed=seed, movies=movies)
    model = build(base_model, base_params, seed=seed).fit_interactions(split.train)
    items = ItemSide.build(split.train, emb, movies, sentiment)
    ctx = RankingContext.build(model, split.train, split.train_frame, items, params, seed)
    xs, ys, groups = [], [], []
    test = split.test.matrix
    for start in range(0, ctx.x.shape[0], batch_size):
        rows = np.arange(start, min(start + batch_size, ctx.x.shape[0]))
        feats, seen = ctx.features(rows)
        mask = ctx.candidate_mask(feats, seen, params)
        labels = test[rows].toarray() > 0
        has_test = labels.any(axis=1)
        mask &= has_test[:, None]
        xs.append(feats[mask])
        ys.append(labels[mask])
        for b in np.flatnonzero(has_test):
            groups.append((feats[b][mask[b]], labels[b][mask[b]], int(labels[b].sum())))
    x, y = np.concatenate(xs), np.concatenate(ys)
    if y.sum() == 0:
        raise ValueError("no held-out item is among the candidates: cannot learn weights")
    mean, std = x.mean(axis=0), np.maximum(x.std(axis=0), 1e-9)
    lr = LogisticRegression(C=params.regularization, max_iter=1000, random_state=seed)
    lr.fit((x - mean) / std, y)
    padded = pad_groups([((gx - mean) / std, gy, n) for gx, gy, n in groups])
    coef, _ = coordinate_ascent(*padded, lr.coef_[0], rounds=params.ascent_rounds)
    ranker = HybridRanker(
        coef, float(lr.intercept_[0]), mean, std, params, base_model, dict(base_params)
    )
    items_v, _ = rank(ranker, ctx, k=10, batch_size=batch_size)
    cf_items, _ = model.recommend(split.train.matrix, 10)
    ranker.validation = {
        "candidate_rows": int(len(y)),
        "positives": int(y.sum()),
        "logistic_weights": dict(zip(FEATURES, (float(c) for c in lr.coef_[0]))),
        "candidate_recall": float(y.sum() / max(1, test.nnz)),
        "hybrid_ndcg@10": ranking_metrics(items_v, test, k=10)["ndcg@10"],
        "base_ndcg@10": ranking_metrics(cf_items, test, k=10)["ndcg@10"],
    }
    return ranker


def context(model, interactions, ratings, items: ItemSide, ranker: HybridRanker) -> RankingContext:
    """Everything ``rank`` needs for ``model`` (fitted on ``interactions``) and ``ratings``."""
    return RankingContext.build(model, interactions, ratings, items, ranker.params)


def rank(
    ranker: HybridRanker,
    ctx: RankingContext,
    *,
    k: int = 20,
    mmr_lambda: float | None = None,
    pool: int = 100,
    batch_size: int = 256,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Top ``k`` per user: item indices (n_users, k; -1 pads) and per-slot components.

    With ``mmr_lambda`` the list is re-ordered greedily from the best ``pool`` candidates
    by maximal marginal relevance (``mmr``) on content vectors.
    """
    n_users = ctx.x.shape[0]
    items = np.full((n_users, k), -1, dtype=np.int64)
    comp = {c: np.full((n_users, k), np.nan, dtype=np.float32) for c in ("score", *FEATURES)}
    for start in range(0, n_users, batch_size):
        rows = np.arange(start, min(start + batch_size, n_users))
        feats, seen = ctx.features(rows)
        mask = ctx.candidate_mask(feats, seen, ranker.params)
        scores = np.where(mask, ranker.score(feats), -np.inf)
        for b, u in enumerate(rows):
            order = np.argsort(-scores[b], kind="stable")
            order = order[np.isfinite(scores[b][order])]
            if mmr_lambda is not None:
                cand = order[:pool]
                order = mmr(scores[b][cand], ctx.items.vectors[cand], mmr_lambda, k)
                order = cand[order]
            top = order[:k]
            items[u, : len(top)] = top
            comp["score"][u, : len(top)] = scores[b][top]
            for f, name in enumerate(FEATURES):
                comp[name][u, : len(top)] = feats[b, top, f]
    return items, comp


def mmr(relevance: np.ndarray, vectors: np.ndarray, lam: float, k: int) -> np.ndarray:
    """Maximal marginal relevance (Carbonell & Goldstein 1998): indices in pick order.

    Each step picks ``argmax lam * rel - (1 - lam) * max cosine to the picked items``, with
    relevance min-max scaled to [0, 1]; ``lam = 1`` keeps the relevance order.
    """
    if not 0.0 <= lam <= 1.0:
        raise ValueError(f"mmr lambda must lie in [0, 1], got {lam}")
    n = len(relevance)
    rel = (relevance - relevance.min()) / max(float(np.ptp(relevance)), 1e-12) if n else relevance
    v = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    sim = v @ v.T
    picked: list[int] = []
    max_sim = np.zeros(n)
    free = np.ones(n, dtype=bool)
    for _ in range(min(k, n)):
        gain = np.where(free, lam * rel - (1 - lam) * max_sim, -np.inf)
        best = int(np.argmax(gain))
        picked.append(best)
        free[best] = False
        max_sim = np.maximum(max_sim, sim[best])
    return np.asarray(picked, dtype=np.int64)

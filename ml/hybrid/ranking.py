"""Hybrid two-stage ranking and MMR diversification (the "surprise me" list: ml.hybrid.surprise).

Stage 1 takes, per user, the union of the top items by the selected collaborative-filtering
model, by the extra CF models (``HybridParams.extra_models``), by content similarity to the
user's time-decayed profile, and by popularity (``ml.hybrid.features``). Stage 2 scores those
candidates with a linear re-ranker whose weights are learned on a validation split
(``fit_hybrid``): a held-out item among the candidates is a positive, every other candidate a
negative; logistic regression gives the starting weights and coordinate ascent on NDCG@10
(``ml.hybrid.ltr``) tunes them for the ranking metric. A second, nested held-out slice that
nothing has seen decides whether the hybrid or the single model is published
(``ml.hybrid.gate``); ``HybridRanker.score`` gives the published list's scores.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import polars as pl
import scipy.sparse as sp

from ml import artifacts
from ml.content.embeddings import ContentEmbeddings
from ml.hybrid.features import (
    BASE_FEATURES,
    FEATURE_MODELS,
    FEATURES,
    HybridParams,
    ItemSide,
    RankingContext,
    feature_names,
)
from ml.hybrid.gate import HYBRID, decide
from ml.hybrid.ltr import learn, ndcg_at_k, pad_groups, per_user_ndcg
from ml.recsys.evaluation import make_split, sample_users
from ml.recsys.models import build
from ml.recsys.search_spaces import too_large

__all__ = [
    "BASE_FEATURES",
    "FEATURES",
    "FEATURE_MODELS",
    "HybridParams",
    "HybridRanker",
    "ItemSide",
    "RankingContext",
    "context",
    "feature_names",
    "fit_hybrid",
    "mmr",
    "rank",
]


@dataclass
class HybridRanker:
    """Learned re-ranker weights (on standardised features), how they were validated, and
    which list the gate publishes: ``published`` is ``"hybrid"`` or ``"single"``."""

    coef: np.ndarray
    intercept: float
    mean: np.ndarray
    std: np.ndarray
    params: HybridParams = field(default_factory=HybridParams)
    base_model: str = ""
    base_params: dict = field(default_factory=dict)
    validation: dict = field(default_factory=dict)
    published: str = HYBRID

    @property
    def features(self) -> tuple[str, ...]:
        return feature_names(self.params)

    @property
    def serves_hybrid(self) -> bool:
        return self.published == HYBRID

    @property
    def source(self) -> str:
        """Whose list the published scores rank: ``hybrid`` or the single model's name."""
        return HYBRID if self.serves_hybrid else self.base_model

    def weights(self) -> dict[str, float]:
        """The learned weights, whichever list the gate publishes."""
        return dict(zip(self.features, (float(c) for c in self.coef)))

    def served_weights(self) -> dict[str, float]:
        """The weights behind the published scores: the single model's score alone when the
        hybrid lost the gate."""
        if self.serves_hybrid:
            return self.weights()
        return {name: float(name == "cf") for name in self.features}

    def hybrid_score(self, feats: np.ndarray) -> np.ndarray:
        return ((feats - self.mean) / self.std) @ self.coef + self.intercept

    def score(self, feats: np.ndarray) -> np.ndarray:
        """The published score: the hybrid's, or the single model's (column 0) when the
        hybrid did not beat it on validation."""
        return self.hybrid_score(feats) if self.serves_hybrid else feats[..., 0]

    def save(self, path: Path) -> None:
        meta = {
            "features": list(self.features),
            "weights": self.weights(),
            "intercept": self.intercept,
            "params": asdict(self.params),
            "base_model": self.base_model,
            "base_params": self.base_params,
            "validation": self.validation,
            "published": self.published,
        }
        artifacts.save(path, {"coef": self.coef, "mean": self.mean, "std": self.std}, meta)

    @classmethod
    def load(cls, path: Path) -> HybridRanker:
        arrays, meta = artifacts.load(path)
        params = dict(meta["params"])
        # Rankers saved before extra_models had one optional ALS score, "cf2", third.
        if "second_model" in params:
            params["extra_models"] = ("als",) if params.pop("second_model") else ()
        params = HybridParams(**params)
        saved = [_LEGACY_NAMES.get(n, n) for n in meta.get("features", feature_names(params))]
        missing = set(feature_names(params)) - set(saved)
        if missing:
            raise ValueError(f"ranker at {path} has no weights for features {sorted(missing)}")
        order = [saved.index(n) for n in feature_names(params)]
        return cls(
            coef=arrays["coef"][order],
            intercept=meta["intercept"],
            mean=arrays["mean"][order],
            std=arrays["std"][order],
            params=params,
            base_model=meta["base_model"],
            base_params=meta["base_params"],
            validation=meta["validation"],
            published=meta.get("published", HYBRID),
        )


_LEGACY_NAMES = {"cf2": "cf_als"}


def validation_groups(
    ctx: RankingContext, test: sp.csr_matrix, batch_size: int = 256, users: np.ndarray | None = None
):
    """Padded (features, labels, valid, n_relevant) of every user with held-out items in
    ``test`` (``ml.hybrid.ltr.pad_groups``), over that user's candidates; only ``users``
    (row indices) when given."""
    rows_all = np.arange(ctx.x.shape[0]) if users is None else np.asarray(users)
    groups = []
    for start in range(0, len(rows_all), batch_size):
        rows = rows_all[start : start + batch_size]
        feats, seen = ctx.features(rows)
        mask = ctx.candidate_mask(feats, seen)
        labels = test[rows].toarray() > 0
        for b in np.flatnonzero(labels.any(axis=1)):
            groups.append((feats[b][mask[b]], labels[b][mask[b]], int(labels[b].sum())))
    if not groups:
        raise ValueError("the validation split holds out no item: cannot learn weights")
    return pad_groups(groups)


def _stage(split, base_model, base_params, emb, movies, sentiment, params, seed, batch, users):
    """Models fitted on ``split``'s training part; padded groups of its held-out users (a
    seeded sample of ``users`` of them, when more)."""
    model = build(base_model, base_params, seed=seed).fit_interactions(split.train)
    items = ItemSide.build(split.train, emb, movies, sentiment)
    ctx = RankingContext.build(model, split.train, split.train_frame, items, params, seed)
    return validation_groups(ctx, split.test.matrix, batch, sample_users(split, users, seed=seed))


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
    protocol: str = "stratified",
    validation_users: int | None = 10_000,
) -> HybridRanker:
    """Learn the re-ranker on one validation split of ``ratings``, gate it on another.

    Two nested splits by ``protocol`` (``stratified``: per-user random
    ``params.validation_fraction``; ``temporal``: each user's last rating): the *decision*
    split holds out items of ``ratings``, the *learning* split holds out items of the
    decision split's training part. Weights learned on the learning split are applied to
    features from models fitted on the decision split's training part and compared there
    with the single model, so the gate measures exactly what serving does: weights learned
    with models fitted on less data, applied to the same models refitted on more
    (``ml.hybrid.gate``). The decision slice is seen by nothing before the gate, and the
    weights served are the ones it judged.
    """
    # The selected model is column 0 already; its twin as an extra would add only cost. Models
    # whose memory grows with items² are left out above MAX_DENSE_ITEMS, as tuning leaves
    # them out: the ranker's features are fixed here, for learning, gating and serving alike.
    n_items = ratings["item_id"].n_unique()
    left_out = {m: why for m in params.extra_models if (why := too_large(m, n_items))}
    params = replace(
        params,
        extra_models=tuple(m for m in params.extra_models if m != base_model and m not in left_out),
    )
    # Seeds away from model_tuning's (seed, seed + 1, ...): the slice that chose the single
    # model's parameters would flatter it here.
    split_args = {"movies": movies, "test_fraction": params.validation_fraction}
    decision_split = make_split(ratings, protocol, seed=seed + 101, **split_args)
    learning_split = make_split(decision_split.train_frame, protocol, seed=seed + 102, **split_args)
    # Each validation user costs a full-catalogue feature tensor: at 162k users x 59k movies,
    # every user of both splits took more than an hour on 2 cores. A seeded sample of
    # ``validation_users`` per split learns and gates the weights (all users below it).
    stage = (base_model, base_params, emb, movies, sentiment, params, seed, batch_size)
    stage += (validation_users,)
    learning = _stage(learning_split, *stage)
    deciding = _stage(decision_split, *stage)
    how = {"regularization": params.regularization, "rounds": params.ascent_rounds, "seed": seed}
    learned = learn(*learning, **how)
    feats, labels, valid, n_rel = deciding
    decision = decide(
        per_user_ndcg(learned.score(feats), labels, valid, n_rel),
        per_user_ndcg(feats[..., 0], labels, valid, n_rel),
        single_model=base_model,
        protocol=protocol,
        min_margin=params.min_margin,
    )
    names = feature_names(params)
    validation = {
        "protocol": protocol,
        "learning_users": int(len(learning[3])),
        "decision_users": int(len(n_rel)),
        "validation_users_limit": validation_users,
        "candidate_recall": _recall(*learning[1:]),
        "decision_candidate_recall": _recall(labels, valid, n_rel),
        "logistic_weights": dict(zip(names, (float(c) for c in learned.logistic))),
        "learning_hybrid_ndcg@10": ndcg_at_k(learned.score(learning[0]), *learning[1:]),
        "learning_base_ndcg@10": ndcg_at_k(learning[0][..., 0], *learning[1:]),
        "hybrid_ndcg@10": decision.hybrid_ndcg,
        "base_ndcg@10": decision.single_ndcg,
        "margin_ndcg@10": decision.margin,
        "margin_se": decision.margin_se,
        "published": decision.published,
        "decision": decision.sentence(),
    }
    if left_out:
        validation["extra_models_left_out"] = "; ".join(f"{m}: {w}" for m, w in left_out.items())
    return HybridRanker(
        learned.coef,
        learned.intercept,
        learned.mean,
        learned.std,
        params,
        base_model,
        dict(base_params),
        validation,
        published=HYBRID if decision.hybrid_won else "single",
    )


def _recall(labels, valid, n_rel) -> float:
    return float((labels & valid).sum() / max(1.0, n_rel.sum()))


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
    names = ctx.features_names
    comp = {c: np.full((n_users, k), np.nan, dtype=np.float32) for c in ("score", *names)}
    for start in range(0, n_users, batch_size):
        rows = np.arange(start, min(start + batch_size, n_users))
        feats, seen = ctx.features(rows)
        mask = ctx.candidate_mask(feats, seen)
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
            for f, name in enumerate(names):
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

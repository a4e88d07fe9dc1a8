"""Per-tenant (and per-variant) lists from the shared scores, each complete or saying why not.

Every tenant starts from the same scores of every unseen movie for every user: the hybrid
re-ranker's and the selected CF model's (``Scorer``). A list is then made by one recipe
(``ListSpec``): blend the sources (z-scored per user), add the tenant's boosts, drop what its
filters exclude, diversify the best ``pool`` by MMR (``ml.hybrid.ranking.mmr``) and keep
``k``. Filtering happens before the cut, so a tenant list is short only when fewer than ``k``
unseen titles pass its filters, and then it says so, with the filters that removed most.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import polars as pl

from ml.hybrid.ranking import HybridRanker, RankingContext, mmr
from ml.tenants.config import TenantConfig
from ml.tenants.facts import boost_scores, exclusion_reasons

SOURCES = ("hybrid", "model")

LIST_SCHEMA = {
    "list": pl.String,
    "user_id": pl.Int64,
    "rank": pl.Int32,
    "item_id": pl.Int64,
    "score": pl.Float64,
    "base_score": pl.Float64,
    "boost": pl.Float64,
}
STATUS_SCHEMA = {
    "list": pl.String,
    "user_id": pl.Int64,
    "n_items": pl.Int32,
    "list_length": pl.Int32,
    "complete": pl.Boolean,
    "short_reason": pl.String,
}


@dataclass
class Scorer:
    """Scores of every movie for every user of ``ctx`` by each of ``SOURCES``."""

    ranker: HybridRanker
    ctx: RankingContext

    @property
    def n_users(self) -> int:
        return self.ctx.x.shape[0]

    def batches(self, batch_size: int = 256) -> Iterator[tuple[np.ndarray, dict, np.ndarray]]:
        """(rows, {source: scores (len(rows), n_items)}, seen mask) per batch of users."""
        for start in range(0, self.n_users, batch_size):
            rows = np.arange(start, min(start + batch_size, self.n_users))
            feats, seen = self.ctx.features(rows)
            # feature 0 is the selected model's score, z-scored per user
            yield rows, {"hybrid": self.ranker.score(feats), "model": feats[..., 0]}, seen


@dataclass(frozen=True)
class ListSpec:
    """One recipe. Arrays are in the interactions' item (user) order.

    ``weights``: {source: weight}; ``eligible`` / ``excluded_by``: per item, whether the
    filters pass it and why not; ``boost``: per item; ``users``: per user, served or not.
    """

    weights: dict[str, float]
    k: int
    mmr_lambda: float
    eligible: np.ndarray
    boost: np.ndarray
    users: np.ndarray
    excluded_by: tuple[str | None, ...] = ()


def tenant_spec(
    tenant: TenantConfig, facts: pl.DataFrame, item_ids: np.ndarray, user_ids: np.ndarray
) -> ListSpec:
    """The recipe of ``tenant``; ``facts`` (``ml.tenants.facts.movie_facts``) in any order."""
    aligned = pl.DataFrame({"item_id": item_ids}).join(facts, on="item_id", how="left")
    reasons = exclusion_reasons(aligned, tenant.filters)
    users = np.ones(len(user_ids), dtype=bool)
    if tenant.users is not None:
        users = np.isin(user_ids, np.asarray(tenant.users, dtype=np.int64))
    return ListSpec(
        weights={tenant.source: 1.0},
        k=tenant.list_length,
        mmr_lambda=tenant.diversity_lambda,
        eligible=reasons.is_null().to_numpy(),
        boost=boost_scores(aligned, tenant.boosts),
        users=users,
        excluded_by=tuple(reasons.to_list()),
    )


def _z(scores: np.ndarray, valid: np.ndarray) -> np.ndarray:
    if not valid.any():
        return np.zeros_like(scores)
    v = scores[valid]
    return (scores - v.mean()) / max(float(v.std()), 1e-9)


def _short_reason(spec: ListSpec, unseen: np.ndarray, n_pass: int) -> str:
    reasons = Counter(r for r, u in zip(spec.excluded_by, unseen) if u and r is not None)
    kinds = Counter()
    for reason, n in reasons.items():
        kinds[reason.split(" (")[0] if reason.startswith(("rated", "released")) else reason] += n
    top = ", ".join(f"{r}: {n:,}" for r, n in kinds.most_common(3))
    text = f"only {n_pass:,} of {int(unseen.sum()):,} unseen titles pass the filters"
    return f"{text} (excluded most: {top})" if top else text


def build_lists(
    scorer: Scorer,
    specs: dict[str, ListSpec],
    *,
    user_ids: np.ndarray,
    item_ids: np.ndarray,
    served: dict[str, tuple[int, ...] | None] | None = None,
    pool: int = 100,
    batch_size: int = 256,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Lists (``LIST_SCHEMA``) and one status row per served user (``STATUS_SCHEMA``).

    ``served``: per spec, the user ids asked for (None = every user); an id with no ratings
    gets a status row with no items and the reason.
    """
    vectors = scorer.ctx.items.vectors
    rows: list[tuple] = []
    status: list[tuple] = []
    for batch, scores, seen in scorer.batches(batch_size):
        for b, u in enumerate(batch):
            unseen = ~seen[b]
            for name, spec in specs.items():
                if not spec.users[u]:
                    continue
                base = sum(w * _z(scores[s][b], unseen) for s, w in spec.weights.items() if w)
                ok = unseen & spec.eligible
                total = np.where(ok, base + spec.boost, -np.inf)
                n_pass = int(ok.sum())
                take = min(max(pool, spec.k), n_pass)
                cand = np.argpartition(-total, take - 1)[:take] if take else np.array([], int)
                cand = cand[np.argsort(-total[cand], kind="stable")]
                if spec.mmr_lambda < 1.0 and len(cand) > 1:
                    cand = cand[mmr(total[cand], vectors[cand], spec.mmr_lambda, spec.k)]
                top = cand[: spec.k]
                for r, i in enumerate(top, start=1):
                    rows.append(
                        (
                            name,
                            int(user_ids[u]),
                            r,
                            int(item_ids[i]),
                            float(total[i]),
                            float(base[i]),
                            float(spec.boost[i]),
                        )
                    )
                short = None if len(top) == spec.k else _short_reason(spec, unseen, n_pass)
                status.append((name, int(user_ids[u]), len(top), spec.k, short is None, short))
    known = set(int(u) for u in user_ids)
    for name, ids in (served or {}).items():
        for user in ids or ():
            if user not in known:
                reason = "user has no ratings in this run: no candidates to rank"
                status.append((name, int(user), 0, specs[name].k, False, reason))
    lists = pl.DataFrame(rows, schema=LIST_SCHEMA, orient="row")
    return lists, pl.DataFrame(status, schema=STATUS_SCHEMA, orient="row").sort("list", "user_id")


def with_explanations(
    lists: pl.DataFrame,
    ratings: pl.DataFrame,
    metadata: pl.DataFrame,
    emb,
    *,
    model=None,
    item_ids: np.ndarray | None = None,
    liked_threshold: float = 4.0,
) -> pl.DataFrame:
    """``lists`` with the hybrid's explanation columns (``ml.hybrid.explain``) and a title.

    ``explain`` walks users in their first-seen order, so rows are grouped by user first.
    """
    from ml.data.titles import display_title
    from ml.hybrid.explain import explain

    ordered = lists.sort("user_id", "list", "rank")
    out = explain(
        ordered,
        ratings,
        metadata,
        emb,
        model=model,
        item_ids=item_ids,
        liked_threshold=liked_threshold,
    )
    titles = metadata.select(
        "item_id",
        pl.col("title").map_elements(display_title, return_dtype=pl.String).alias("title"),
    )
    return out.join(titles, on="item_id", how="left").sort("list", "user_id", "rank")

"""Which list is published: the hybrid only when it beats the single model on validation.

Both lists are scored on the same held-out slice, users and candidates; the hybrid's weights
were learned on another split (``ml.hybrid.ranking.fit_hybrid``), so its NDCG there is out of
sample, like the single model's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

HYBRID = "hybrid"


@dataclass(frozen=True)
class Decision:
    """The gate's verdict: per-user NDCG@10 means, their difference and its standard error."""

    published: str
    single_model: str
    hybrid_ndcg: float
    single_ndcg: float
    margin: float
    margin_se: float
    users: int
    protocol: str
    min_margin: float = 0.0

    @property
    def hybrid_won(self) -> bool:
        return self.published == HYBRID

    def sentence(self) -> str:
        """E.g. "hybrid lost by 0.0031 NDCG@10 on validation; published ease_sessions"."""
        how = f"({self.protocol} split, {self.users} users, standard error {self.margin_se:.4f})"
        if self.hybrid_won:
            return (
                f"hybrid beat {self.single_model} by {self.margin:.4f} NDCG@10 on validation "
                f"{how}; published the hybrid"
            )
        verb = f"lost by {-self.margin:.4f}"
        if self.margin >= 0:
            verb = f"won by only {self.margin:.4f} (at most the required {self.min_margin:.4f})"
        return f"hybrid {verb} NDCG@10 on validation {how}; published {self.single_model}"

    def as_dict(self) -> dict:
        return {**asdict(self), "sentence": self.sentence()}


def decide(
    hybrid: np.ndarray,
    single: np.ndarray,
    *,
    single_model: str,
    protocol: str,
    min_margin: float = 0.0,
) -> Decision:
    """``hybrid`` / ``single``: per-user NDCG@10 of the two lists on the same users, shape (U,).

    The hybrid is published when its mean beats the single model's by more than
    ``min_margin``; otherwise the single model's list is.
    """
    diff = np.asarray(hybrid, dtype=np.float64) - np.asarray(single, dtype=np.float64)
    margin = float(diff.mean())
    se = float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else float("nan")
    return Decision(
        published=HYBRID if margin > min_margin else single_model,
        single_model=single_model,
        hybrid_ndcg=float(np.mean(hybrid)),
        single_ndcg=float(np.mean(single)),
        margin=margin,
        margin_se=se,
        users=int(len(diff)),
        protocol=protocol,
        min_margin=min_margin,
    )

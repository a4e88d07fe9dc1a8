"""Measuring sentiment models: metrics, stratified k-fold cross-validation, model selection.

Every model is trained only on the training folds of each split; the held-out fold is never
seen by training, tuning (inner CV for C, stacking) or calibration. MiniLM features are
label-free (a frozen encoder), so they are computed once per text and looked up per fold.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ml.sentiment.finetune import Finetuned
from ml.sentiment.models import MODEL_KINDS, Embed, SentimentModel, train_model

__all__ = [
    "CvResult",
    "binary_metrics",
    "cross_validate",
    "expected_calibration_error",
    "holdout_evaluate",
    "select_model",
]


def expected_calibration_error(y: np.ndarray, proba: np.ndarray, bins: int = 10) -> float:
    """ECE of P(positive): |accuracy − confidence| over ``bins`` equal-width confidence bins,
    weighted by bin size (confidence = max(p, 1 − p))."""
    y, proba = np.asarray(y), np.asarray(proba, dtype=float)
    if len(y) == 0:
        raise ValueError("no predictions to measure")
    conf = np.maximum(proba, 1 - proba)
    correct = (proba >= 0.5).astype(int) == y
    edges = np.linspace(0.5, 1.0, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - conf[mask].mean())
    return float(ece)


def binary_metrics(y: Sequence[int], proba: Sequence[float]) -> dict:
    """Accuracy, F1 (positive class), ECE, log-loss and the confusion matrix.

    ``confusion`` is ``[[tn, fp], [fn, tp]]`` (rows: true label 0, 1).
    """
    y, proba = np.asarray(y, dtype=int), np.clip(np.asarray(proba, dtype=float), 1e-7, 1 - 1e-7)
    pred = (proba >= 0.5).astype(int)
    tp = int(((pred == 1) & (y == 1)).sum())
    tn = int(((pred == 0) & (y == 0)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return {
        "n": int(len(y)),
        "accuracy": float((pred == y).mean()),
        "f1": float(f1),
        "ece": expected_calibration_error(y, proba),
        "log_loss": float(-np.mean(y * np.log(proba) + (1 - y) * np.log(1 - proba))),
        "confusion": [[tn, fp], [fn, tp]],
    }


@dataclass
class CvResult:
    """Cross-validation of one model on one corpus: per-fold and pooled metrics."""

    model: str
    folds: list[dict] = field(default_factory=list)
    pooled: dict = field(default_factory=dict)
    train_seconds: float = 0.0

    def summary(self) -> dict:
        acc = [f["accuracy"] for f in self.folds]
        return {
            "model": self.model,
            "accuracy_mean": float(np.mean(acc)),
            "accuracy_std": float(np.std(acc, ddof=1)) if len(acc) > 1 else 0.0,
            **{k: self.pooled[k] for k in ("accuracy", "f1", "ece", "log_loss", "confusion")},
            "folds": len(self.folds),
            "train_seconds": self.train_seconds,
        }


def cross_validate(
    texts: Sequence[str],
    labels: Sequence[int],
    models: Sequence[str] = MODEL_KINDS,
    *,
    folds: int = 5,
    seed: int = 42,
    embed: Embed | None = None,
    log=None,
    sentence_model: Finetuned | None = None,
) -> dict[str, CvResult]:
    """Stratified ``folds``-fold CV of each model in ``models``; same splits for every model.

    ``embed`` must be label-free (a frozen encoder), since it is applied to all texts, and
    ``sentence_model`` (given to ``minilm_ft_stack``) must have been trained on another
    corpus, never on these texts.
    """
    from sklearn.model_selection import StratifiedKFold

    texts, y = list(texts), np.asarray(labels, dtype=int)
    lookup = embed
    if embed is not None and any(m.startswith("minilm") for m in models):
        features = embed(texts)
        index = {t: i for i, t in enumerate(texts)}

        def lookup(batch: Sequence[str]) -> np.ndarray:
            return features[[index[t] for t in batch]]

    splits = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(texts, y))
    results = {}
    for name in models:
        result, oof = CvResult(name), np.zeros(len(texts))
        for k, (train, test) in enumerate(splits):
            started = time.perf_counter()
            model = train_model(
                name,
                [texts[i] for i in train],
                y[train],
                seed=seed + k,
                embed=lookup,
                sentence_model=sentence_model,
            )
            result.train_seconds += time.perf_counter() - started
            oof[test] = model.predict_proba([texts[i] for i in test], embed=lookup)
            result.folds.append(binary_metrics(y[test], oof[test]))
            if log:
                log(f"{name} fold {k + 1}/{folds}: accuracy {result.folds[-1]['accuracy']:.4f}")
        result.pooled = binary_metrics(y, oof)
        results[name] = result
    return results


def select_model(results: dict[str, dict[str, CvResult]], candidates=MODEL_KINDS) -> str:
    """The candidate with the best mean CV accuracy averaged over corpora."""
    scores = {
        name: float(np.mean([res[name].summary()["accuracy_mean"] for res in results.values()]))
        for name in candidates
        if all(name in res for res in results.values())
    }
    if not scores:
        raise ValueError("no candidate was cross-validated on every corpus")
    return max(scores, key=scores.get)


def holdout_evaluate(
    kind: str,
    texts: Sequence[str],
    labels: Sequence[int],
    *,
    test_fraction: float = 0.2,
    seed: int = 42,
    embed: Embed | None = None,
    refit: bool = False,
    sentence_model: Finetuned | None = None,
) -> tuple[SentimentModel, dict]:
    """Train ``kind`` on a stratified split and measure it on the held-out part.

    Returns the model (with ``metrics`` set to the held-out metrics, prefixed ``holdout_``,
    plus ``trained_on``, its number of training texts, and ``refit``) and the metrics. With
    ``refit``, the returned model is refit on every text afterwards (one more training), so
    the model that ships has seen all the labelled data and the held-out metrics estimate it;
    by default the measured model itself is returned. ``sentence_model`` goes to ``minilm_ft_stack``
    (a sentence classifier fine-tuned on another corpus; see ``train_model``).
    """
    from sklearn.model_selection import train_test_split

    texts, y = list(texts), np.asarray(labels, dtype=int)
    train, test = train_test_split(
        np.arange(len(texts)), test_size=test_fraction, stratify=y, random_state=seed
    )
    started = time.perf_counter()
    model = train_model(
        kind,
        [texts[i] for i in train],
        y[train],
        seed=seed,
        embed=embed,
        sentence_model=sentence_model,
    )
    metrics = binary_metrics(y[test], model.predict_proba([texts[i] for i in test], embed=embed))
    if refit:
        model = train_model(kind, texts, y, seed=seed, embed=embed, sentence_model=sentence_model)
    metrics["train_seconds"] = time.perf_counter() - started
    metrics["trained_on"] = len(texts) if refit else len(train)
    metrics["refit"] = bool(refit)
    # The saved metadata says which model ships: refit on every text, or the measured one.
    model.metrics = {
        f"holdout_{k}": v for k, v in metrics.items() if k not in ("trained_on", "refit")
    }
    model.metrics.update(trained_on=metrics["trained_on"], refit=metrics["refit"])
    return model, metrics

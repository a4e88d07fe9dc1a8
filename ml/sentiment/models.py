"""Binary review-sentiment models behind one interface, saved as numpy arrays + JSON.

``train_model(kind, texts, labels, seed=..., embed=...)`` returns a ``SentimentModel`` whose
``predict_proba(texts, embed=...)`` gives P(positive), shape ``(n,)``. Kinds:

- ``vader``: the VADER lexicon's compound score, Platt-scaled on the training texts.
- ``tfidf_lr``: TF-IDF word 1–2-grams + logistic regression (C chosen by inner 3-fold CV).
- ``minilm_lr``: frozen all-MiniLM-L6-v2 chunk embeddings (mean ⊕ max over 256-token
  windows) + logistic regression.
- ``minilm_stack`` (ours): NB-SVM (TF-IDF scaled by naive-Bayes log-count ratios, then LR)
  and ``minilm_lr`` as base models; a logistic regression over their out-of-fold scores
  (inner 5-fold on the training texts only) combines them and calibrates the probability.
- ``minilm_ft_stack``: NB-SVM, ``minilm_lr`` and all-MiniLM-L6-v2 fine-tuned as a sentence
  classifier (``ml.sentiment.finetune``; a text's score is the mean over its sentences and over
  its last sentences), all fit on 90% of the training texts; the other 10% are the
  early-stopping slice and train the logistic regression that combines and calibrates them.
  Given a ``sentence_model`` (a classifier fine-tuned on another, sentence-level labelled
  corpus: ``fit_sentence_model``), the stack uses it instead of fine-tuning on the training
  texts: NB-SVM and ``minilm_lr`` out-of-fold scores (inner 5-fold) plus four transferred
  features per text (mean, last-5 mean, share positive, first-5 mean of its sentence
  scores) feed the combining regression. This is how long reviews are read: their labels
  say nothing about single sentences, a sentence corpus does.

``embed`` maps a list of texts to MiniLM features ``(n, 768)``; pass a cached one
(``ml.text.minilm.embed_texts`` with ``cache_dir``) to avoid re-encoding.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ml import artifacts
from ml.sentiment.finetune import Finetuned, FinetuneParams, finetune

MODEL_KINDS = ("vader", "tfidf_lr", "minilm_lr", "minilm_stack", "minilm_ft_stack")
# The model docs/sentiment_model_card.md selects (best mean 5-fold CV accuracy over corpora).
SELECTED_DEFAULT = "minilm_ft_stack"
# Sparse TF-IDF features want little regularisation, 768 standardised dense ones much more.
SPARSE_CS = (1.0, 10.0, 100.0)
DENSE_CS = (0.001, 0.01, 0.1, 1.0)
Embed = Callable[[Sequence[str]], np.ndarray]


def default_embed(texts: Sequence[str]) -> np.ndarray:
    from ml.text.minilm import embed_texts

    return embed_texts(list(texts))


@dataclass
class Linear:
    """A fitted logistic regression: ``sigmoid(x @ coef + intercept)``; optional scaling."""

    coef: np.ndarray
    intercept: float
    mean: np.ndarray | None = None
    scale: np.ndarray | None = None

    def decision(self, x) -> np.ndarray:
        if self.mean is not None:
            x = (np.asarray(x) - self.mean) / self.scale
        return np.asarray(x @ self.coef).ravel() + self.intercept


@dataclass
class Tfidf:
    """A TF-IDF transform rebuilt from its vocabulary and idf weights (no pickle)."""

    vocabulary: dict[str, int]
    idf: np.ndarray

    def vectorizer(self):

        vec = _new_vectorizer()
        vec.vocabulary_ = self.vocabulary
        vec.idf_ = self.idf
        return vec

    def transform(self, texts: Sequence[str]):
        return self.vectorizer().transform(list(texts))


@dataclass
class SentimentModel:
    """A trained model: its kind, fitted parts, and measured metrics (filled by callers)."""

    kind: str
    parts: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    seed: int = 0

    def decision(self, texts: Sequence[str], embed: Embed | None = None) -> dict[str, np.ndarray]:
        """Raw scores of each base model, keyed by part name."""
        p, out = self.parts, {}
        if "vader" in p:
            out["vader"] = p["vader"].decision(vader_scores(texts)[:, None])
        if "tfidf" in p:
            x = p["tfidf"].transform(texts)
            if "nb_ratio" in p:
                x = x.multiply(p["nb_ratio"]).tocsr()
            out["tfidf"] = p["tfidf_lr"].decision(x)
        if "minilm_lr" in p:
            out["minilm"] = p["minilm_lr"].decision((embed or default_embed)(list(texts)))
        if "finetuned" in p:
            out["ft_mean"], out["ft_last"] = p["finetuned"].decision(texts).T
        if "transfer" in p:
            for name, column in zip(_TRANSFER, p["transfer"].features(texts).T):
                out[name] = column
        return out

    def predict_proba(self, texts: Sequence[str], embed: Embed | None = None) -> np.ndarray:
        """P(positive) for each text, shape ``(n,)``."""
        if len(texts) == 0:
            return np.zeros(0)
        scores = self.decision(texts, embed)
        if "meta" in self.parts:
            z = self.parts["meta"].decision(_meta_features(scores))
        else:
            z = next(iter(scores.values()))
        return 1.0 / (1.0 + np.exp(-z))

    def save(self, path: Path) -> None:
        arrays, spec = {}, {"kind": self.kind, "seed": self.seed, "metrics": self.metrics}
        parts, vocabularies = {}, {}
        for name, part in self.parts.items():
            if isinstance(part, Linear):
                parts[name] = {"type": "linear", "intercept": float(part.intercept)}
                arrays[f"{name}.coef"] = part.coef
                if part.mean is not None:
                    arrays[f"{name}.mean"], arrays[f"{name}.scale"] = part.mean, part.scale
            elif isinstance(part, Tfidf):
                parts[name] = {"type": "tfidf"}
                vocabularies[name] = part.vocabulary
                arrays[f"{name}.idf"] = part.idf
            elif isinstance(part, Finetuned):
                parts[name] = {"type": "finetuned", "params": asdict(part.params)}
                parts[name]["history"] = part.history
                arrays[f"{name}.head_weight"] = part.head_weight
                arrays[f"{name}.head_bias"] = part.head_bias
                arrays.update({f"{name}.state.{k}": v for k, v in part.state.items()})
            elif isinstance(part, np.ndarray):
                parts[name] = {"type": "array"}
                arrays[name] = part
            else:
                raise TypeError(f"cannot save part {name} of type {type(part).__name__}")
        spec["parts"], spec["vocabularies"] = parts, vocabularies
        artifacts.save(path, arrays, spec)

    @classmethod
    def load(cls, path: Path) -> SentimentModel:
        arrays, spec = artifacts.load(path)
        parts = {}
        for name, meta in spec["parts"].items():
            if meta["type"] == "linear":
                scaled = f"{name}.mean" in arrays
                parts[name] = Linear(
                    arrays[f"{name}.coef"],
                    meta["intercept"],
                    arrays[f"{name}.mean"] if scaled else None,
                    arrays[f"{name}.scale"] if scaled else None,
                )
            elif meta["type"] == "tfidf":
                parts[name] = Tfidf(spec["vocabularies"][name], arrays[f"{name}.idf"])
            elif meta["type"] == "finetuned":
                prefix = f"{name}.state."
                state = {k[len(prefix) :]: arrays[k] for k in arrays if k.startswith(prefix)}
                parts[name] = Finetuned(
                    state,
                    arrays[f"{name}.head_weight"],
                    arrays[f"{name}.head_bias"],
                    FinetuneParams(**meta["params"]),
                    meta.get("history", []),
                )
            else:
                parts[name] = arrays[name]
        return cls(spec["kind"], parts, spec.get("metrics", {}), spec.get("seed", 0))


_TRANSFER = ("tr_mean", "tr_last", "tr_positive", "tr_first")
_META_ORDER = ("tfidf", "minilm", "ft_mean", "ft_last", *_TRANSFER)


def _meta_features(scores: dict[str, np.ndarray]) -> np.ndarray:
    return np.column_stack([scores[k] for k in _META_ORDER if k in scores])


def _new_vectorizer():
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        ngram_range=(1, 2), min_df=2, max_df=0.9, sublinear_tf=True, token_pattern=r"(?u)\b\w+\b"
    )


@functools.lru_cache(maxsize=1)
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def vader_scores(texts: Sequence[str]) -> np.ndarray:
    """VADER compound score in [-1, 1] for each text, shape ``(n,)``."""
    return np.array([_compound(t) for t in texts], dtype=float)


@functools.lru_cache(maxsize=20_000)
def _compound(text: str) -> float:
    # VADER takes ~30 ms on a full review; cross-validation scores each text several times.
    return _vader().polarity_scores(text)["compound"]


def fit_linear(x, y: np.ndarray, *, seed: int, standardize: bool = False, cs=SPARSE_CS) -> Linear:
    """Logistic regression (L2) with C chosen by inner stratified 3-fold CV on log-loss."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    mean = scale = None
    if standardize:
        x = np.asarray(x, dtype=np.float64)
        mean, scale = x.mean(0), x.std(0) + 1e-6
        x = (x - mean) / scale
    best = cs[0]
    if len(cs) > 1 and np.bincount(y).min() >= 3:
        cv = StratifiedKFold(3, shuffle=True, random_state=seed)
        losses = [
            cross_val_score(
                LogisticRegression(C=c, max_iter=2000), x, y, cv=cv, scoring="neg_log_loss"
            ).mean()
            for c in cs
        ]
        best = cs[int(np.argmax(losses))]
    lr = LogisticRegression(C=best, max_iter=2000).fit(x, y)
    return Linear(lr.coef_.ravel().astype(np.float64), float(lr.intercept_[0]), mean, scale)


def nb_ratio(x, y: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Naive-Bayes log-count ratio of each feature (Wang & Manning 2012), shape ``(d,)``."""
    xb = (x > 0).astype(np.float64)
    pos = np.asarray(xb[y == 1].sum(0)).ravel() + alpha
    neg = np.asarray(xb[y == 0].sum(0)).ravel() + alpha
    return np.log((pos / pos.sum()) / (neg / neg.sum()))


def _fit_tfidf(texts, y, *, seed: int, nb: bool) -> dict:
    vec = _new_vectorizer()
    x = vec.fit_transform(list(texts))
    parts = {"tfidf": Tfidf({k: int(v) for k, v in vec.vocabulary_.items()}, vec.idf_)}
    if nb:
        parts["nb_ratio"] = nb_ratio(x, y)
        x = x.multiply(parts["nb_ratio"]).tocsr()
    parts["tfidf_lr"] = fit_linear(x, y, seed=seed)
    return parts


def train_model(
    kind: str,
    texts: Sequence[str],
    labels: Sequence[int],
    *,
    seed: int = 42,
    embed: Embed | None = None,
    inner_folds: int = 5,
    finetune_params: FinetuneParams = FinetuneParams(),
    sentence_model: Finetuned | None = None,
) -> SentimentModel:
    """Fit model ``kind`` (one of ``MODEL_KINDS``) on ``texts`` with 0/1 ``labels``.

    ``sentence_model`` is a sentence classifier fine-tuned on another corpus, used by
    ``minilm_ft_stack`` (other kinds ignore it); without it ``minilm_ft_stack`` fine-tunes
    one on ``texts``.
    """
    if kind not in MODEL_KINDS:
        raise ValueError(f"unknown model {kind!r}; choose from {', '.join(MODEL_KINDS)}")
    texts, y = list(texts), np.asarray(labels, dtype=np.int64)
    if len(texts) != len(y) or set(np.unique(y)) != {0, 1}:
        raise ValueError("need as many labels as texts, with both classes 0 and 1 present")
    embed = embed or default_embed
    model = SentimentModel(kind, seed=seed)
    if kind == "vader":
        model.parts["vader"] = fit_linear(vader_scores(texts)[:, None], y, seed=seed, cs=(1e4,))
    elif kind == "tfidf_lr":
        model.parts.update(_fit_tfidf(texts, y, seed=seed, nb=False))
    elif kind == "minilm_lr":
        model.parts["minilm_lr"] = fit_linear(
            embed(texts), y, seed=seed, standardize=True, cs=DENSE_CS
        )
    elif kind == "minilm_stack":
        model.parts.update(_fit_stack(texts, y, seed=seed, embed=embed, folds=inner_folds))
    elif sentence_model is not None:
        model.parts.update(
            _fit_stack(texts, y, seed=seed, embed=embed, folds=inner_folds, extra=sentence_model)
        )
    else:
        model.parts.update(_fit_ft_stack(texts, y, seed=seed, embed=embed, params=finetune_params))
    return model


def _fit_stack(
    texts, y, *, seed: int, embed: Embed, folds: int, extra: Finetuned | None = None
) -> dict:
    """NB-SVM + ``minilm_lr`` stacked on inner out-of-fold scores; with ``extra`` (a sentence
    classifier that never saw these labels) its transferred features join the stack."""
    from sklearn.model_selection import StratifiedKFold

    emb = embed(texts)
    oof = np.zeros((len(texts), 2))
    splits = StratifiedKFold(folds, shuffle=True, random_state=seed).split(emb, y)
    for train, held in splits:
        part = SentimentModel(
            "minilm_stack", _fit_tfidf([texts[i] for i in train], y[train], seed=seed, nb=True)
        )
        part.parts["minilm_lr"] = fit_linear(
            emb[train], y[train], seed=seed, standardize=True, cs=DENSE_CS
        )
        scores = part.decision([texts[i] for i in held], embed=lambda _t, rows=held: emb[rows])
        oof[held] = _meta_features(scores)
    parts = _fit_tfidf(texts, y, seed=seed, nb=True)
    parts["minilm_lr"] = fit_linear(emb, y, seed=seed, standardize=True, cs=DENSE_CS)
    if extra is None:
        parts["meta"] = fit_linear(oof, y, seed=seed, cs=(1.0,))
        return parts
    parts["transfer"] = extra
    features = np.column_stack([oof, extra.features(list(texts))])
    parts["meta"] = fit_linear(features, y, seed=seed, standardize=True, cs=(1.0,))
    return parts


def fit_sentence_model(
    texts: Sequence[str],
    labels: Sequence[int],
    *,
    seed: int = 42,
    params: FinetuneParams = FinetuneParams(),
    validation: float = 0.1,
) -> Finetuned:
    """Fine-tune the MiniLM sentence classifier on a labelled (sentence) corpus; a stratified
    ``validation`` share picks the epoch (early stopping)."""
    texts, y = list(texts), np.asarray(labels, dtype=int)
    fit, val = _holdout(y, validation, seed)
    return finetune(
        [texts[i] for i in fit],
        y[fit],
        [texts[i] for i in val],
        y[val],
        seed=seed,
        params=params,
    )


def _holdout(y: np.ndarray, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified indices: (the rest, a ``share`` held out for early stopping / stacking)."""
    from sklearn.model_selection import train_test_split

    return train_test_split(np.arange(len(y)), test_size=share, stratify=y, random_state=seed)


def _fit_ft_stack(texts, y, *, seed: int, embed: Embed, params: FinetuneParams) -> dict:
    fit, val = _holdout(y, 0.1, seed)
    fit_texts, val_texts = [texts[i] for i in fit], [texts[i] for i in val]
    parts = _fit_tfidf(fit_texts, y[fit], seed=seed, nb=True)
    parts["minilm_lr"] = fit_linear(
        embed(fit_texts), y[fit], seed=seed, standardize=True, cs=DENSE_CS
    )
    parts["finetuned"] = finetune(fit_texts, y[fit], val_texts, y[val], seed=seed, params=params)
    scores = SentimentModel("minilm_ft_stack", parts).decision(val_texts, embed)
    parts["meta"] = fit_linear(
        _meta_features(scores), y[val], seed=seed, standardize=True, cs=(1.0,)
    )
    return parts

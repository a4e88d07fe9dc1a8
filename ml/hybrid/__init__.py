"""The second stage: hybrid ranking, MMR, explanations, surprise, personas (layer 4).

- ``features``: candidate sources and per-user features (``RankingContext``), extra CF models.
- ``ranking``: ``HybridRanker``, ``fit_hybrid``, ``rank``, ``mmr``; ``ltr``: coordinate ascent.
- ``gate``: the hybrid is published only when it beats the single model on validation.
- ``explain``: reasons built only from facts; ``surprise``: lists outside usual genres.
- ``personas``: named taste clusters; ``ablation``: single models, blend, hybrid, per protocol.
"""

__all__ = ["ablation", "explain", "features", "gate", "ltr", "personas", "ranking", "surprise"]

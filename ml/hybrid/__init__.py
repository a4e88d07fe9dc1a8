"""The second stage: hybrid ranking, MMR, explanations, surprise, personas (layer 4).

- ``ranking``: ``HybridRanker``, ``train_ranker``, ``rank``, ``mmr``; ``ltr``: coordinate ascent.
- ``explain``: reasons built only from facts; ``surprise``: lists outside usual genres.
- ``personas``: named taste clusters; ``ablation``: ALS vs best single vs hybrid.
"""

__all__ = ["ablation", "explain", "ltr", "personas", "ranking", "surprise"]

"""Text tools every domain shares (layer 0).

- ``minilm``: the one all-MiniLM-L6-v2 loader and chunked embeddings (``embed_texts``).
- ``language``: is a text English (``is_english``), no model needed.
- ``sentences``: the one sentence splitter (``split_sentences``).
"""

__all__ = ["language", "minilm", "sentences"]

"""MiniLM review windows: the chunks of a long review reach its end."""

from __future__ import annotations

from ml.text.minilm import ChunkParams, chunk_ids


def test_chunks_cover_the_end_of_long_reviews() -> None:
    params = ChunkParams(window=10, stride=8, max_chunks=3)
    ids = list(range(100))
    chunks = chunk_ids(ids, params)
    assert len(chunks) == 3 and all(len(c) == 10 for c in chunks)
    assert chunks[0][0] == 0 and chunks[-1][-1] == 99
    assert chunk_ids([1, 2], params) == [[1, 2]]

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


def test_a_text_is_the_mean_and_max_of_its_windows_in_any_batch(tmp_path) -> None:
    import numpy as np

    from ml.text.minilm import EMBED_DIM, embed_chunks, embed_texts, load_encoder

    params = ChunkParams(window=12, stride=8, max_chunks=4)
    texts = [
        "A short one.",
        "rain on neon streets, a detective walks alone through the night " * 4,
        "Another short text about a sunny beach holiday.",
    ]
    together = embed_texts(texts, params, cache_dir=tmp_path)
    assert together.shape == (3, 2 * EMBED_DIM)
    tokenizer, _ = load_encoder()
    for text, row in zip(texts, together):
        ids = tokenizer([text], add_special_tokens=False)["input_ids"][0]
        windows = embed_chunks(chunk_ids(ids, params))
        assert len(windows) == (4 if len(ids) > 12 else 1)
        np.testing.assert_allclose(row[:EMBED_DIM], windows.mean(0), atol=1e-5)
        np.testing.assert_allclose(row[EMBED_DIM:], windows.max(0), atol=1e-5)
    # Read back from the cache, in another order, the vectors do not change.
    np.testing.assert_array_equal(
        embed_texts(texts[::-1], params, cache_dir=tmp_path), together[::-1]
    )

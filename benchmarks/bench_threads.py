"""Torch intra-op threads: images/s with 1 thread against torch's default, in one process.

Both settings encode the same decoded images with the same loaded model, interleaved, best and
median of ``--rounds``; on a shared machine the ratio is what counts.

Run::

    .venv/bin/hybrid catalog generate --n 200 --seed 7 --out /tmp/cat
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_threads.py --catalog /tmp/cat

A script that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch
from PIL import Image

from hybrid.embedding import SentenceTransformerEmbedder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, required=True)
    parser.add_argument("--images", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--model", default="demo")
    args = parser.parse_args()
    paths = sorted((args.catalog / "images").glob("*.png"))[: args.images]
    images = [Image.open(path).convert("RGB") for path in paths]
    embedder = SentenceTransformerEmbedder(args.model, device="cpu")
    embedder.encode_images(images[:8])  # loads and warms the model
    default = torch.get_num_threads()
    seconds: dict[int, list[float]] = {1: [], default: []}
    for _ in range(args.rounds):
        for threads, runs in seconds.items():
            torch.set_num_threads(threads)
            started = time.perf_counter()
            embedder.encode_images(images)
            runs.append(time.perf_counter() - started)
    print(f"{len(images)} images, model {args.model!r}, {args.rounds} rounds interleaved")
    for threads, runs in seconds.items():
        best, median = len(images) / min(runs), len(images) / statistics.median(runs)
        print(f"torch threads {threads}: {best:.0f} images/s best, {median:.0f} median")


if __name__ == "__main__":
    main()

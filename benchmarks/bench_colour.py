"""Dominant colour: the shipped method against the k-means it replaced, on the demo catalogue.

Prints, for the catalogue's images, the share of images whose colour family both methods agree
on, each method's agreement with the colour family the catalogue really drew (truth.jsonl),
and milliseconds per image (both timed in the same run, interleaved, on the same images).

Run::

    .venv/bin/hybrid catalog generate --n 2000 --seed 7 --out /tmp/cat
    .venv/bin/python benchmarks/bench_colour.py --catalog /tmp/cat

A script that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image

from hybrid.colour import (
    DominantColour,
    FloatArray,
    _families_of_lab,
    _product_mask,
    _small_rgb,
    _squared_distance,
    dominant_colour,
    srgb_to_lab,
)

_CLUSTERS = 5
_ITERATIONS = 8


# The k-means method shipped before (hybrid/colour.py until issue 14), kept as the reference.
def kmeans_dominant_colour(image: Image.Image) -> DominantColour:
    """Find the main colour of the product shown in ``image``, ignoring a plain background.

    Args:
        image: an RGB image as :func:`hybrid.images.load_image` returns it (other modes go
            through Pillow's plain ``convert("RGB")``); it is reduced to about 64 px per side.

    Returns:
        The dominant colour, its family and the share of product pixels it covers.

    Raises:
        ValueError: the image has no pixels.
    """
    if image.width * image.height == 0:
        raise ValueError(f"expected an image with pixels; found size {image.size}")
    rgb = _small_rgb(image)
    lab = srgb_to_lab(rgb)
    product = _product_mask(lab)
    points_rgb = rgb.reshape(-1, 3)[product.ravel()]
    points_lab = lab.reshape(-1, 3)[product.ravel()]
    labels = _kmeans(points_lab, k=min(_CLUSTERS, len(points_lab)))
    clusters = [points_rgb[labels == i] for i in range(int(labels.max()) + 1)]
    clusters = [c for c in clusters if len(c)]
    means = [tuple(int(v) for v in np.rint(c.mean(axis=0))) for c in clusters]
    families = _families_of_lab(srgb_to_lab(np.asarray(means, dtype=np.float64)))
    totals: dict[str, int] = {}
    for family, members in zip(families, clusters, strict=True):
        totals[family] = totals.get(family, 0) + len(members)
    winner = max(totals, key=lambda family: totals[family])
    best = max(
        (i for i, family in enumerate(families) if family == winner),
        key=lambda i: len(clusters[i]),
    )
    r, g, b = means[best]
    return DominantColour(rgb=(r, g, b), family=winner, share=totals[winner] / len(points_rgb))


def _kmeans(points: FloatArray, *, k: int) -> npt.NDArray[np.intp]:
    """Cluster ``points`` into at most ``k`` groups; deterministic (farthest-point seeding)."""
    start = _squared_distance(points, np.median(points, axis=0)).argmin()
    centres = np.empty((k, points.shape[1]))
    centres[0] = points[start]
    nearest = _squared_distance(points, centres[0])
    for i in range(1, k):
        centres[i] = points[nearest.argmax()]
        nearest = np.minimum(nearest, _squared_distance(points, centres[i]))
    labels = np.full(len(points), -1, dtype=np.intp)
    for _ in range(_ITERATIONS):
        distances = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=-1)
        new_labels = distances.argmin(axis=1)
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
        counts = np.bincount(labels, minlength=k)
        filled = counts > 0  # an empty cluster keeps its old centre
        for channel in range(points.shape[1]):
            sums = np.bincount(labels, weights=points[:, channel], minlength=k)
            centres[filled, channel] = sums[filled] / counts[filled]
    return labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=0, help="first N products only (0: all)")
    args = parser.parse_args()
    lines = (args.catalog / "truth.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    if args.limit:
        records = records[: args.limit]
    images = []
    for record in records:
        with Image.open(args.catalog / "images" / f"{record['id']}.png") as image:
            images.append(image.convert("RGB"))
    truth = [record["colour_family"] for record in records]
    seconds = {"k-means (before)": 0.0, "histogram (now)": 0.0}
    found: dict[str, list[str]] = {name: [] for name in seconds}
    methods = {"k-means (before)": kmeans_dominant_colour, "histogram (now)": dominant_colour}
    dominant_colour(images[0])  # builds the lookup table once, outside the clock
    for image in images:
        for name, method in methods.items():
            started = time.perf_counter()
            result = method(image)
            seconds[name] += time.perf_counter() - started
            found[name].append(result.family)
    before, now = found.values()
    agree = np.mean([a == b for a, b in zip(before, now, strict=True)])
    print(f"{len(images)} images of {args.catalog}, {images[0].size[0]} px per side")
    print(f"families agree (histogram vs k-means): {agree:.1%}")
    print("| method | ms per image | agrees with the drawn colour (truth.jsonl) |")
    print("|---|---|---|")
    for name, families in found.items():
        right = np.mean([f == t for f, t in zip(families, truth, strict=True)])
        print(f"| {name} | {seconds[name] / len(images) * 1000:.2f} | {right:.1%} |")
    ratio = seconds["k-means (before)"] / seconds["histogram (now)"]
    print(f"histogram is {ratio:.1f}x faster")


if __name__ == "__main__":
    main()

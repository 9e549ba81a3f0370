"""How often does a shopper's photo keep the right category? The anchor rule, measured.

Image + text search (``hybrid.search.anchor``) keeps the category that at least ``MIN_SHARE``
of an uploaded photo's ``NEIGHBOURS`` nearest indexed images agree on. This script prints, for
a model, how often that rule (and neighbouring settings of it) anchors a photo and how often
the category it keeps is right:

* the index: the 2,000 photos of the seed-4242 catalogue (the evaluation's), exact cosine;
* the photos: each product photographed again as a shopper would
  (:func:`hybrid.demo.catalog.generate.shopper_layout`: turned, smaller, off centre), for 400
  products of a catalogue never indexed (seed 99) and for every fifth indexed product.

Run (the shipped demo CLIP, or any model name or directory)::

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_anchor.py [--model DIR]

A script that prints figures, not a test; no dev set is read.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence

import numpy as np

from hybrid.demo.catalog import ProductTruth, iter_truths, render_image
from hybrid.demo.catalog.generate import shopper_layout
from hybrid.demo.model.data import PHOTO_SIZE
from hybrid.embedding import Embedder, SentenceTransformerEmbedder
from hybrid.search.anchor import MIN_SHARE, NEIGHBOURS, vote
from hybrid.settings import DEMO_MODEL

INDEX_SEED, INDEX_SIZE = 4242, 2000
UNINDEXED_SEED, UNINDEXED_SIZE = 99, 400
RULES = [(k, share) for k in (5, 10, 20) for share in (0.4, 0.5, 0.6)]


def _photos(embedder: Embedder, truths: Sequence[ProductTruth], name: str) -> np.ndarray:
    rng = random.Random(f"bench-anchor-{name}")  # noqa: S311 - reproducible, not secret
    shots = [render_image(shopper_layout(rng, truth), size=PHOTO_SIZE) for truth in truths]
    return embedder.encode_images(shots)


def _report(name: str, scores: np.ndarray, wanted: np.ndarray, category: np.ndarray) -> None:
    nearest = np.argsort(-scores, axis=1)[:, : max(k for k, _ in RULES)]
    first = float(np.mean(category[nearest[:, 0]] == wanted))
    print(f"{name}: {len(wanted)} photos, nearest photo's category right {first:.3f}")
    print("  neighbours  share  anchored  precision  right")
    for k, share in RULES:
        anchored = right = 0
        for row, columns in enumerate(nearest[:, :k]):
            voted = vote(list(category[columns]), out_of=k)
            if voted is not None and voted[1] >= share:
                anchored += 1
                right += voted[0] == wanted[row]
        served = "  (served)" if (k, share) == (NEIGHBOURS, MIN_SHARE) else ""
        print(
            f"  {k:10d}  {share:5.1f}  {anchored / len(wanted):8.3f}  "
            f"{right / max(anchored, 1):9.3f}  {right / len(wanted):5.3f}{served}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEMO_MODEL, help="model name or directory")
    args = parser.parse_args()
    embedder = SentenceTransformerEmbedder(args.model, device="cpu")
    index = list(iter_truths(INDEX_SIZE, INDEX_SEED))
    vectors = embedder.encode_images([render_image(t, size=PHOTO_SIZE) for t in index])
    category = np.array([truth.category for truth in index])
    for name, truths in (
        (
            f"never indexed (seed {UNINDEXED_SEED})",
            list(iter_truths(UNINDEXED_SIZE, UNINDEXED_SEED)),
        ),
        (f"indexed (seed {INDEX_SEED}, every fifth)", index[::5]),
    ):
        scores = _photos(embedder, truths, name) @ vectors.T
        _report(name, scores, np.array([truth.category for truth in truths]), category)


if __name__ == "__main__":
    main()

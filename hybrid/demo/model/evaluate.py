"""Held-out retrieval figures for an embedding model on the demo catalogue.

Measured on products of a catalogue seed the demo model never saw (2024 by default; it trains
on 1001), with exact nearest neighbours over the model's normalised vectors:

* **text -> image**: for every category and colour family present, the queries
  ``"<colour> <noun>"`` with every noun of the category (``"trainers"``, ``"running shoes"``...)
  and as colour the family name or any shop colour name of the family (``"maroon"``,
  ``"navy"``). A result is relevant when its true category *and* colour family match.
  ``text_to_image_recall@10`` is the relevant share of the top 10, out of at most 10
  (``hits / min(10, relevant)``); ``text_to_image_hit@10`` the share of queries with a hit.
* **image -> image**: every product photo whose variant group has another product is a query
  (the photo itself is excluded from the results). ``image_to_image_same_model_recall@10`` is
  the share of queries with another colour of the same model (same ``group_id``) in the top 10.
  ``image_to_image_same_model_family_recall@10`` counts only a same-model product of the same
  colour family, over the queries that have one (variants rarely share a family).
* **shopper photo -> catalogue**: every product photographed again as a shopper would
  (:func:`hybrid.demo.catalog.generate.shopper_layout`: turned, smaller, off centre; one draw
  per product, fixed by the seed) is a query against the catalogue photos, its own among them.
  ``shopper_photo_own@10``: the share finding its own catalogue photo in the top 10;
  ``shopper_photo_category@1``: the share whose nearest photo is of its category;
  ``shopper_photo_anchored`` and ``shopper_photo_anchor_precision``: how often the 20 nearest
  photos agree on a category (the rule of :mod:`hybrid.search.anchor`) and how often
  that category is right.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hybrid.demo.catalog import ProductTruth, iter_truths, render_image
from hybrid.demo.catalog.generate import shopper_layout
from hybrid.demo.model import EVAL_SEED
from hybrid.demo.model.data import PHOTO_SIZE
from hybrid.embedding import Embedder
from hybrid.search.anchor import MIN_SHARE, NEIGHBOURS, vote
from hybrid.vocab import COLOURS, category_by_path


@dataclass(frozen=True)
class _TextQuery:
    text: str
    category: str
    family: str
    shop_colour: bool


def evaluate_demo_model(
    embedder: Embedder, *, n_products: int = 600, seed: int = EVAL_SEED, k: int = 10
) -> dict[str, float | int]:
    """Measure text->image, image->image and shopper-photo retrieval on held-out products.

    Args:
        embedder: the model under test.
        n_products: how many held-out products to generate.
        seed: the catalogue seed (must differ from the training seed to be held out).
        k: the cut-off of every figure; it appears in their names (``recall@10``).

    Returns:
        The figures described in the module docstring, plus the query and product counts.
    """
    truths = list(iter_truths(n_products, seed))
    images = embedder.encode_images([render_image(truth, size=PHOTO_SIZE) for truth in truths])
    metrics: dict[str, float | int] = {"products": len(truths)}
    metrics.update(_text_to_image(embedder, truths, images, k=k))
    metrics.update(_image_to_image(truths, images, k=k))
    metrics.update(_shopper_photos(embedder, truths, images, k=k, seed=seed))
    return metrics


def text_queries(truths: Sequence[ProductTruth]) -> list[_TextQuery]:
    """Every ``"<colour> <noun>"`` query for the category/family pairs among ``truths``."""
    pairs = sorted({(truth.category, truth.colour_family) for truth in truths})
    queries: list[_TextQuery] = []
    for category, family in pairs:
        names = sorted(key for key, colour in COLOURS.items() if colour.family == family)
        for noun in category_by_path(category).nouns:
            queries.append(_TextQuery(f"{family} {noun}", category, family, shop_colour=False))
            queries += [_TextQuery(f"{name} {noun}", category, family, True) for name in names]
    return queries


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the ``k`` best scores per row (unordered)."""
    k = min(k, scores.shape[1])
    return np.argpartition(-scores, k - 1, axis=1)[:, :k]


def _text_to_image(
    embedder: Embedder, truths: Sequence[ProductTruth], images: np.ndarray, *, k: int
) -> dict[str, float | int]:
    queries = text_queries(truths)
    vectors = embedder.encode_texts([query.text for query in queries])
    top = _top_k(vectors @ images.T, k)
    keys = np.array([f"{t.category}|{t.colour_family}" for t in truths])
    wanted = np.array([f"{q.category}|{q.family}" for q in queries])
    relevant = (keys[None, :] == wanted[:, None]).sum(axis=1)
    hits = (keys[top] == wanted[:, None]).sum(axis=1)
    recall = hits / np.minimum(k, relevant)
    shop = np.array([query.shop_colour for query in queries])
    return {
        "text_queries": len(queries),
        f"text_to_image_recall@{k}": float(recall.mean()),
        f"text_to_image_hit@{k}": float((hits > 0).mean()),
        f"text_to_image_recall@{k}_family_word": float(recall[~shop].mean()),
        f"text_to_image_recall@{k}_shop_colour": float(recall[shop].mean()),
    }


def _image_to_image(
    truths: Sequence[ProductTruth], images: np.ndarray, *, k: int
) -> dict[str, float | int]:
    scores = images @ images.T
    np.fill_diagonal(scores, -np.inf)
    top = _top_k(scores, k)
    group = np.array([truth.group_id for truth in truths])
    family = np.array([truth.colour_family for truth in truths])
    same_group = group[:, None] == group[None, :]
    np.fill_diagonal(same_group, False)
    same_family = same_group & (family[:, None] == family[None, :])
    rows = np.arange(len(truths))[:, None]
    model_queries = same_group.any(axis=1)
    family_queries = same_family.any(axis=1)
    model_hit = same_group[rows, top].any(axis=1)
    family_hit = same_family[rows, top].any(axis=1)
    return {
        "image_queries": int(model_queries.sum()),
        f"image_to_image_same_model_recall@{k}": _share(model_hit, model_queries),
        "image_family_queries": int(family_queries.sum()),
        f"image_to_image_same_model_family_recall@{k}": _share(family_hit, family_queries),
    }


def _shopper_photos(
    embedder: Embedder, truths: Sequence[ProductTruth], images: np.ndarray, *, k: int, seed: int
) -> dict[str, float | int]:
    rng = random.Random(f"shopper-photos-{seed}")  # noqa: S311 - reproducible, not secret
    photos = [render_image(shopper_layout(rng, t), size=PHOTO_SIZE) for t in truths]
    scores = embedder.encode_images(photos) @ images.T
    own = np.arange(len(truths))
    top = _top_k(scores, k)
    nearest = np.argsort(-scores, axis=1)[:, :NEIGHBOURS]
    category = np.array([truth.category for truth in truths])
    anchored, right = 0, 0
    for row, columns in enumerate(nearest):
        voted = vote(list(category[columns]), out_of=len(columns))
        if voted is not None and voted[1] >= MIN_SHARE:  # the rule image + text search applies
            anchored += 1
            right += voted[0] == category[row]
    return {
        "shopper_photos": len(truths),
        f"shopper_photo_own@{k}": float((top == own[:, None]).any(axis=1).mean()),
        "shopper_photo_category@1": float((category[nearest[:, 0]] == category).mean()),
        "shopper_photo_anchored": anchored / len(truths),
        "shopper_photo_anchor_precision": right / anchored if anchored else 0.0,
    }


def _share(hit: np.ndarray, queries: np.ndarray) -> float:
    return float(hit[queries].mean()) if queries.any() else 0.0

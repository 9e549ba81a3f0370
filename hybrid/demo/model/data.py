"""The demo CLIP's training data: generated products, their photos and tagged captions.

Everything is built up front as tensors (a few thousand 64 px photos fit in memory), so the
training loop only indexes. Photos go through the very image processor and tokenizer that
sentence-transformers loads from the saved model, so training and serving see the same input.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
from transformers import AutoImageProcessor, AutoTokenizer

from hybrid.demo.catalog import ProductTruth, build_record, iter_products, render_image
from hybrid.demo.catalog.generate import jittered_layout, shopper_layout
from hybrid.demo.model.captions import Caption, captions_for
from hybrid.vocab import (
    CATEGORIES,
    COLOUR_FAMILIES,
    COLOUR_SYNONYMS,
    COLOURS,
    MATERIALS,
    PATTERNS,
    TOP_LEVEL_NOUNS,
)

#: The catalogue photo size; the processor resizes it to the model's input size.
PHOTO_SIZE = 128

# Catalogue drawing conventions the colourways follow (see hybrid.demo.catalog.generate).
_MIN_BACKGROUND_DISTANCE = 70.0
_LIGHT_LUMINANCE = 140.0

Product = tuple[dict[str, Any], ProductTruth]


@dataclass(frozen=True)
class TrainingSet:
    """Tensors for training, one row per product.

    Attributes:
        pixels: processed photos, ``(n, views, 3, size, size)`` float32: view 0 is the
            catalogue photo, the others the same product on other backdrops.
        input_ids: caption tokens, ``(n, captions, context)`` int64, padded with the end token.
        attention_mask: ``(n, captions, context)`` int64.
        levels: each caption's :class:`~hybrid.demo.model.captions.Level`, ``(n, captions)``.
        group: variant group number, ``(n,)``.
        category: category index, ``(n,)``.
        family: colour family index, ``(n,)``.
    """

    pixels: torch.Tensor
    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    levels: torch.Tensor
    group: torch.Tensor
    category: torch.Tensor
    family: torch.Tensor

    def __len__(self) -> int:
        return int(self.group.shape[0])


def generate_products(
    n: int, seed: int, *, colourways: int = 0, jitter: bool = False
) -> list[Product]:
    """The first ``n`` products of the catalogue with this seed, plus invented colourways.

    Args:
        n: catalogue products.
        seed: the catalogue seed.
        colourways: extra colours drawn per product (see :func:`colourway`); each joins the
            product's variant group, so every model is seen in at least two colours, including
            light products on the darker backdrops that the catalogue uses for them.
        jitter: nudge each colourway's scale, offset and angle as much as the catalogue nudges
            the variants of one group, so the layout of a model is not copied to the pixel.
    """
    products = list(iter_products(n, seed))
    rng = random.Random(seed)  # noqa: S311 - reproducible sampling, not cryptography
    backdrops = sorted({truth.background_rgb for _, truth in products})
    extra = [
        _with_record(colourway(truth, rng=rng, backdrops=backdrops, number=k, jitter=jitter), seed)
        for k in range(colourways)
        for _, truth in products
    ]
    return products + extra


def colourway(
    truth: ProductTruth,
    *,
    rng: random.Random,
    backdrops: Sequence[tuple[int, int, int]],
    number: int = 0,
    jitter: bool = False,
) -> ProductTruth:
    """The same product (shape, pattern, layout) in another colour family.

    The backdrop is drawn again among ``backdrops`` (those the catalogue used) far enough from
    the new colour, so the model also learns that the backdrop says nothing about the product.
    With ``jitter``, scale, offset and angle move by up to the catalogue's variant jitter.
    """
    family = rng.choice([f for f in COLOUR_FAMILIES if f != truth.colour_family])
    colour = rng.choice([c for c in COLOURS.values() if c.family == family])
    rgb = tuple(min(255, max(0, v + rng.randint(-8, 8))) for v in colour.rgb)
    far = [b for b in backdrops if _distance(b, colour.rgb) >= _MIN_BACKGROUND_DISTANCE]
    background = rng.choice(far) if far else min(backdrops, key=sum)
    label = "field" if truth.colour_label == "wrong" else truth.colour_label
    layout = (
        jittered_layout(rng, scale=truth.scale, offset=truth.offset, angle=truth.angle)
        if jitter
        else {}
    )
    return replace(
        truth,
        id=f"{truth.id}-cw{number}",
        colour_name=colour.name,
        colour_family=colour.family,
        rgb=(rgb[0], rgb[1], rgb[2]),
        pattern_rgb=_pattern_shade(colour.rgb),
        background_rgb=background,
        colour_label=label,
        labelled_colour=None if label == "none" else colour.name,
        **layout,
    )


def on_backdrop(
    truth: ProductTruth, *, rng: random.Random, backdrops: Sequence[tuple[int, int, int]]
) -> ProductTruth:
    """The same product on another of ``backdrops`` far enough from its colour (if any)."""
    far = [
        b
        for b in backdrops
        if b != truth.background_rgb and _distance(b, truth.rgb) >= _MIN_BACKGROUND_DISTANCE
    ]
    return replace(truth, background_rgb=rng.choice(far)) if far else truth


def _with_record(truth: ProductTruth, seed: int) -> Product:
    return build_record(truth, seed), truth


def _distance(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    return float(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)) ** 0.5)


def _pattern_shade(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """A darker shade of a light colour, a lighter one of a dark colour (as the catalogue)."""
    r, g, b = rgb
    if 0.299 * r + 0.587 * g + 0.114 * b > _LIGHT_LUMINANCE:
        return (round(r * 0.65), round(g * 0.65), round(b * 0.65))
    return (round(r + (255 - r) * 0.35), round(g + (255 - g) * 0.35), round(b + (255 - b) * 0.35))


def caption_sets(products: Sequence[Product], *, seed: int) -> list[list[Caption]]:
    """Captions for every product, from a random stream fixed by ``seed``."""
    rng = random.Random(seed)  # noqa: S311 - reproducible sampling, not cryptography
    return [captions_for(record, truth, rng=rng) for record, truth in products]


def tokenizer_corpus(
    products: Sequence[Product], captions: Sequence[Sequence[Caption]]
) -> Iterator[str]:
    """Every text the tokenizer should know: feed text, captions and the shop vocabulary."""
    for record, _ in products:
        yield record["title"]
        yield record["description"]
    for product_captions in captions:
        for caption in product_captions:
            yield caption.text
    # Vocabulary words repeated so each becomes whole tokens even if rare in the feed.
    words = [*COLOUR_FAMILIES, *COLOURS, *COLOUR_SYNONYMS, *MATERIALS, *PATTERNS, *TOP_LEVEL_NOUNS]
    words += [noun for category in CATEGORIES for noun in (*category.nouns, category.leaf)]
    for _ in range(4):
        yield from words


def build_training_set(
    products: Sequence[Product],
    captions: Sequence[Sequence[Caption]],
    *,
    module_dir: Path,
    backdrop_views: int = 0,
    shopper_views: int = 0,
    seed: int = 0,
) -> TrainingSet:
    """Render, preprocess and tokenise every product.

    Args:
        products: the training products.
        captions: their captions (the same number for every product).
        module_dir: the CLIP module directory holding the tokenizer and processor files.
        backdrop_views: extra photos of each product on another catalogue backdrop (one far
            enough from its colour): a white product always stands on a dark backdrop in the
            catalogue, and without these views the backdrop alone would group such products.
        shopper_views: extra photos of each product as a shopper takes them (turned, smaller,
            off centre: :func:`hybrid.demo.catalog.generate.shopper_layout`); the catalogue
            frames every product alike, and without these views an uploaded photo lands among
            products of other categories.
        seed: fixes the backdrops and layouts drawn.
    """
    processor = AutoImageProcessor.from_pretrained(str(module_dir))  # type: ignore[no-untyped-call, unused-ignore]
    tokenizer = AutoTokenizer.from_pretrained(str(module_dir))
    truths = [truth for _, truth in products]
    rng = random.Random(seed)  # noqa: S311 - reproducible sampling, not cryptography
    backdrops = sorted({truth.background_rgb for truth in truths})
    views = [truths] + [
        [on_backdrop(truth, rng=rng, backdrops=backdrops) for truth in truths]
        for _ in range(backdrop_views)
    ]
    views += [[shopper_layout(rng, truth) for truth in truths] for _ in range(shopper_views)]
    pixels = torch.stack([_pixels(processor, view) for view in views], dim=1)
    texts = [caption.text for product_captions in captions for caption in product_captions]
    tokens = tokenizer(
        texts,
        padding="max_length",
        truncation=True,
        max_length=tokenizer.model_max_length,
        return_tensors="pt",
    )
    shape = (len(products), len(captions[0]), -1)
    groups = {group: i for i, group in enumerate(dict.fromkeys(t.group_id for t in truths))}
    paths = [category.path for category in CATEGORIES]
    return TrainingSet(
        pixels=pixels,
        input_ids=tokens["input_ids"].reshape(shape),
        attention_mask=tokens["attention_mask"].reshape(shape),
        levels=torch.tensor([[int(c.level) for c in cs] for cs in captions]),
        group=torch.tensor([groups[t.group_id] for t in truths]),
        category=torch.tensor([paths.index(t.category) for t in truths]),
        family=torch.tensor([COLOUR_FAMILIES.index(t.colour_family) for t in truths]),
    )


def _pixels(processor: Any, truths: Sequence[ProductTruth], *, chunk: int = 256) -> torch.Tensor:
    parts = []
    for start in range(0, len(truths), chunk):
        images = [render_image(truth, size=PHOTO_SIZE) for truth in truths[start : start + chunk]]
        parts.append(processor(images=images, return_tensors="pt")["pixel_values"])
    return torch.cat(parts).float()


def group_batches(
    group: torch.Tensor,
    category: torch.Tensor,
    *,
    batch_size: int,
    rng: random.Random,
    focus: float = 0.5,
) -> list[list[int]]:
    """One epoch of batches of row indices in which every variant group appears whole.

    Whole groups let the loss compare the colours of one model inside a batch. About ``focus``
    of each batch comes from a single category, the rest from anywhere: the same-model term
    then has to tell apart models of one category (the hard part of "more like this"), and the
    caption term still sees every category.
    """
    members: dict[int, list[int]] = {}
    for row, number in enumerate(group.tolist()):
        members.setdefault(int(number), []).append(row)
    queue = list(members.values())
    rng.shuffle(queue)
    by_category: dict[int, list[list[int]]] = {}
    for rows in queue:
        by_category.setdefault(int(category[rows[0]]), []).append(rows)
    total = len(queue)
    used: set[int] = set()
    batches: list[list[int]] = []
    while len(used) < total:
        batch: list[int] = []
        if open_categories := sorted(c for c, groups in by_category.items() if groups):
            focused = by_category[rng.choice(open_categories)]
            batch = _fill(focused, used, limit=int(batch_size * focus))
        batch += _fill(queue, used, limit=batch_size - len(batch))
        batches.append(batch)
    return [batch for batch in batches if len(batch) >= 2]


def _fill(groups: list[list[int]], used: set[int], *, limit: int) -> list[int]:
    """Pop unused groups from the end of ``groups`` while they fit in ``limit`` rows."""
    taken: list[int] = []
    while groups:
        rows = groups[-1]
        if rows[0] in used:
            groups.pop()
            continue
        if taken and len(taken) + len(rows) > limit:
            break
        groups.pop()
        used.add(rows[0])
        taken.extend(rows)
    return taken

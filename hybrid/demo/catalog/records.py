"""Turning a product's truth into the messy feed record the shop would publish.

Titles use any of the category's synonyms and shop colour names; some records state the colour
only in the description, some nowhere, a few wrongly (see :data:`ColourLabel`). Variants of a
group share their title template, noun and price, as real feeds do.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from hybrid.demo.catalog.generate import iter_truths, stable_rng
from hybrid.demo.catalog.truth import ProductTruth
from hybrid.vocab import category_by_path

_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
_UPDATE_WINDOW_SECONDS = 180 * 24 * 3600
_OUT_OF_STOCK_RATE = 0.12
_VARIANT_REPRICE_RATE = 0.15  # variants usually share the group's price
_COLOUR_IN_TITLE_RATE = 0.85  # of records with a colour field
_COLOUR_IN_DESCRIPTION_RATE = 0.5  # of records with a colour field
_UPPER_CASE_RATE = 0.05  # "NAVY"
_LOWER_CASE_RATE = 0.05  # "navy"

_TITLES_WITH_COLOUR = (
    "{brand} {model} {noun} - {colour}",
    "{brand} {model} {material} {noun}, {colour}",
    "{colour} {model} {noun} by {brand}",
    "{brand} {model} {pattern}{noun} in {colour}",
)
_TITLES_WITHOUT_COLOUR = (
    "{brand} {model} {noun}",
    "{brand} {model} {material} {noun}",
    "{model} {pattern}{noun} | {brand}",
    "{brand} {model} {pattern}{noun}",
)
_PATTERN_SENTENCES = {
    "solid": "A clean design with no print.",
    "striped": "Features a classic striped pattern.",
    "dotted": "Covered in a playful dotted print.",
    "checked": "Finished in a timeless checked pattern.",
}
_COLOUR_SENTENCES = ("Colour: {colour}.", "This colourway comes in {colour}.", "Shown in {colour}.")
_DEPARTMENT_SENTENCES = {
    "Footwear": "Cushioned insole for all-day comfort.",
    "Clothing": "Cut for an easy, everyday fit.",
    "Bags": "Roomy main compartment with an inner pocket.",
    "Accessories": "A finishing touch for any outfit.",
    "Home": "Made to brighten up your home.",
}
_PRICE_RANGES: dict[str, tuple[int, int]] = {
    "sneaker": (45, 160),
    "boot": (70, 240),
    "tshirt": (9, 45),
    "dress": (25, 180),
    "trousers": (25, 120),
    "handbag": (35, 400),
    "backpack": (25, 150),
    "cap": (12, 45),
    "watch": (60, 600),
    "sunglasses": (15, 220),
    "mug": (6, 28),
    "cushion": (12, 60),
}
_EU_SIZES = tuple(str(size) for size in range(36, 47))
_CLOTHING_SIZES = ("XS", "S", "M", "L", "XL", "XXL")


def iter_products(n: int, seed: int) -> Iterator[tuple[dict[str, Any], ProductTruth]]:
    """Stream ``n`` demo products as (ingestion record, ground truth) pairs.

    Generation is lazy and needs O(1) memory, so ``n`` may be in the millions. The same
    ``(n, seed)`` always gives the same products, and a smaller ``n`` gives a prefix.

    Args:
        n: how many products.
        seed: fixes every random choice.

    Raises:
        InvalidRequestError: if ``n`` is negative.
    """
    truths = iter_truths(n, seed)  # validates n now, not at the first next()
    return ((build_record(truth, seed), truth) for truth in truths)


def build_record(truth: ProductTruth, seed: int) -> dict[str, Any]:
    """Build the ingestion record for one product.

    Args:
        truth: the product's ground truth.
        seed: the catalogue seed; with ``truth.id`` it fixes every textual choice.

    Returns:
        A dict in exactly the ingestion format (see the package docstring).
    """
    group = stable_rng(seed, "group-text", truth.group_id)
    rng = stable_rng(seed, "record", truth.id)
    noun = group.choice(category_by_path(truth.category).nouns)
    title_index = group.randrange(len(_TITLES_WITH_COLOUR))
    price = _group_price(group, truth.shape)
    if rng.random() < _VARIANT_REPRICE_RATE:
        price = round(round(price * rng.uniform(0.9, 1.1)) - 0.01, 2)
    stock = 0 if rng.random() < _OUT_OF_STOCK_RATE else rng.randint(1, 250)
    updated = _EPOCH + timedelta(seconds=rng.randrange(_UPDATE_WINDOW_SECONDS))
    return {
        "id": truth.id,
        "group_id": truth.group_id,
        "title": _title(truth, noun=noun, template=title_index, rng=rng),
        "description": _description(truth, noun=noun, rng=rng),
        "brand": truth.brand,
        "category": truth.category,
        "colour": _colour_field(truth, rng),
        "material": truth.material,
        "pattern": truth.pattern,
        "price": price,
        "stock": stock,
        "in_stock": stock > 0,
        "attributes": _attributes(truth, group=group),
        "images": [image_path(truth.id)],
        "updated_at": updated.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "version": rng.randint(1, 4),
    }


def image_path(pid: str) -> str:
    """The image path of a product, relative to the catalogue directory."""
    return f"images/{pid}.png"


def _title(truth: ProductTruth, *, noun: str, template: int, rng: random.Random) -> str:
    in_title = truth.colour_label in ("field", "wrong") and rng.random() < _COLOUR_IN_TITLE_RATE
    templates = _TITLES_WITH_COLOUR if in_title else _TITLES_WITHOUT_COLOUR
    pattern = "" if truth.pattern == "solid" else f"{truth.pattern.title()} "
    return templates[template].format(
        brand=truth.brand,
        model=truth.model,
        noun=noun.title(),
        colour=truth.labelled_colour,
        material=truth.material.title(),
        pattern=pattern,
    )


def _description(truth: ProductTruth, *, noun: str, rng: random.Random) -> str:
    department = truth.category.split(" > ", 1)[0]
    sentences = [
        f"{truth.brand} {truth.model}: {noun} made from {truth.material}.",
        _PATTERN_SENTENCES[truth.pattern],
        _DEPARTMENT_SENTENCES[department],
    ]
    mention = truth.colour_label == "description" or (
        truth.colour_label in ("field", "wrong") and rng.random() < _COLOUR_IN_DESCRIPTION_RATE
    )
    if mention:
        sentence = rng.choice(_COLOUR_SENTENCES).format(colour=truth.labelled_colour)
        sentences.insert(rng.randint(1, len(sentences)), sentence)
    return " ".join(sentences)


def _colour_field(truth: ProductTruth, rng: random.Random) -> str | None:
    """The colour as the shop typed it: mostly the display name, sometimes upper/lower case."""
    if truth.colour_label not in ("field", "wrong") or truth.labelled_colour is None:
        return None
    draw = rng.random()
    if draw < _UPPER_CASE_RATE:
        return truth.labelled_colour.upper()
    if draw < _UPPER_CASE_RATE + _LOWER_CASE_RATE:
        return truth.labelled_colour.lower()
    return truth.labelled_colour


def _group_price(group: random.Random, shape: str) -> float:
    low, high = _PRICE_RANGES[shape]
    return round(group.randint(low, high) + group.choice((-0.01, -0.05, 0.0)), 2)


def _attributes(truth: ProductTruth, *, group: random.Random) -> dict[str, str | list[str]]:
    """Up to 8 free attributes; values are strings or lists of strings."""
    attributes: dict[str, str | list[str]] = {"model": truth.model}
    department = truth.category.split(" > ", 1)[0]
    if department in ("Footwear", "Clothing"):
        sizes = _EU_SIZES if department == "Footwear" else _CLOTHING_SIZES
        start = group.randrange(len(sizes) - 3)
        attributes["size"] = list(sizes[start : start + group.randint(3, len(sizes) - start)])
        attributes["gender"] = group.choice(("women", "men", "unisex"))
        attributes["fit"] = group.choice(("regular", "slim", "relaxed"))
    extra = _SHAPE_ATTRIBUTES.get(truth.shape, {})
    for key, options in extra.items():
        attributes[key] = group.choice(options)
    return attributes


_SHAPE_ATTRIBUTES: dict[str, dict[str, tuple[str, ...]]] = {
    "sneaker": {"closure": ("laces", "slip-on", "velcro")},
    "boot": {"closure": ("zip", "laces", "pull-on"), "heel_height": ("2 cm", "4 cm", "6 cm")},
    "tshirt": {"neckline": ("crew", "v-neck"), "care": ("machine wash 30C", "hand wash")},
    "dress": {"length": ("mini", "midi", "maxi"), "care": ("machine wash 30C", "dry clean")},
    "trousers": {"leg": ("straight", "slim", "wide"), "rise": ("mid", "high")},
    "handbag": {"closure": ("zip", "magnetic", "buckle"), "dimensions": ("30x22x10 cm",)},
    "backpack": {"capacity": ("15 L", "20 L", "25 L"), "laptop_sleeve": ("yes", "no")},
    "cap": {"size": ("one size",), "adjustable": ("yes", "no")},
    "watch": {
        "case_diameter": ("36 mm", "40 mm", "42 mm"),
        "water_resistance": ("3 ATM", "5 ATM", "10 ATM"),
        "movement": ("quartz", "automatic"),
    },
    "sunglasses": {"lens": ("polarised", "gradient", "mirrored"), "uv_protection": ("UV400",)},
    "mug": {"capacity": ("300 ml", "350 ml", "450 ml"), "dishwasher_safe": ("yes", "no")},
    "cushion": {"dimensions": ("40x40 cm", "45x45 cm", "50x30 cm"), "filling": ("feather",)},
}

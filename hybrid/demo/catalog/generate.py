"""Deterministic, streaming generation of demo products.

Products come in variant groups (one model in 1-4 colours, consecutive ids). Each group draws
from its own random stream seeded by ``(seed, group number)``, so generation needs O(1) memory
and ``iter_truths(n, seed)`` is a prefix of ``iter_truths(m, seed)`` for ``n < m``.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from hybrid.demo.catalog.truth import RGB, ColourLabel, ProductTruth
from hybrid.errors import InvalidRequestError
from hybrid.vocab import BRANDS, CATEGORIES, COLOUR_FAMILIES, COLOURS, Category, ColourName

# Share of products whose colour is only in the description / nowhere / wrongly labelled.
DESCRIPTION_ONLY_RATE = 0.15
NO_COLOUR_RATE = 0.05
WRONG_COLOUR_RATE = 0.02
# How far each variant's layout strays from its group's: scale and offset (fractions of the
# frame) and angle (degrees), up to this much either way.
VARIANT_SCALE_JITTER = 0.02
VARIANT_OFFSET_JITTER = 0.02
VARIANT_ANGLE_JITTER = 1.5
# A shopper's photo of a product (:func:`shopper_layout`): turned up to this many degrees either
# way from the catalogue's angle, and this share of its catalogue size.
SHOPPER_ANGLE = 20.0
SHOPPER_SCALE = (0.8, 1.0)

_FRESH_FAMILY_RATE = 0.8  # a group's next colour is mostly of a family it lacks
_LIGHT = 140  # luminance above which a colour counts as light
_GROUP_SIZES = (1, 2, 3, 4)
_GROUP_SIZE_WEIGHTS = (35, 30, 20, 15)
_PATTERN_WEIGHTS = {"solid": 55, "striped": 17, "dotted": 14, "checked": 14}
_SOLID_ONLY = frozenset({"watch", "sunglasses"})
_SHAPE_MATERIALS: dict[str, tuple[str, ...]] = {
    "sneaker": ("leather", "suede", "canvas", "mesh"),
    "boot": ("leather", "suede"),
    "tshirt": ("cotton", "linen", "polyester"),
    "dress": ("cotton", "linen", "silk", "polyester", "velvet"),
    "trousers": ("cotton", "denim", "linen", "wool"),
    "handbag": ("leather", "suede", "canvas", "velvet"),
    "backpack": ("nylon", "canvas", "polyester", "leather"),
    "cap": ("cotton", "wool", "denim", "polyester"),
    "watch": ("stainless steel", "leather"),
    "sunglasses": ("acetate",),
    "mug": ("ceramic", "stoneware"),
    "cushion": ("cotton", "linen", "velvet", "wool"),
}
# Model names avoid colour words on purpose: a colour in a title must be a colour claim.
_MODEL_NAMES = (
    "Aero",
    "Drift",
    "Nova",
    "Terra",
    "Pulse",
    "Harbor",
    "Summit",
    "Echo",
    "Luna",
    "Vale",
    "Rider",
    "Metro",
    "Atlas",
    "Breeze",
    "Cove",
    "Ember",
    "Orbit",
    "Haven",
    "Tempo",
    "Willow",
)
_MODEL_SUFFIXES = ("", "", " 2", " Pro", " Classic", " Lite", " 90", " Sport")
# Light, neutral photo backgrounds; the darker ones keep white products visible.
_BACKGROUNDS: tuple[RGB, ...] = (
    (246, 246, 246),
    (238, 235, 229),
    (229, 233, 238),
    (242, 239, 232),
    (226, 226, 226),
    (205, 208, 212),
    (190, 192, 196),
    (178, 180, 184),
)
_MIN_BACKGROUND_DISTANCE = 70.0
_COLOURS_BY_FAMILY: dict[str, tuple[ColourName, ...]] = {
    family: tuple(c for c in COLOURS.values() if c.family == family) for family in COLOUR_FAMILIES
}


def stable_rng(seed: int, *parts: object) -> random.Random:
    """A random stream fixed by ``seed`` and ``parts``, the same in every process and Python."""
    key = ":".join(str(part) for part in (seed, *parts)).encode()
    # Reproducible demo data, not secrets: a seeded PRNG is exactly what is wanted.
    return random.Random(int.from_bytes(hashlib.sha256(key).digest()[:8], "big"))  # noqa: S311


def product_id(number: int) -> str:
    """The id of the ``number``-th product (1-based), e.g. ``"sku-000001"``."""
    return f"sku-{number:06d}"


def group_id(number: int) -> str:
    """The id of the ``number``-th variant group (1-based), e.g. ``"grp-000001"``."""
    return f"grp-{number:06d}"


@dataclass(frozen=True)
class _GroupPlan:
    """What the products of one group share."""

    group_id: str
    category: Category
    brand: str
    model: str
    material: str
    pattern: str
    variant: int
    scale: float
    offset: tuple[float, float]
    angle: float


def iter_truths(n: int, seed: int) -> Iterator[ProductTruth]:
    """Stream the ground truth of ``n`` products, group by group.

    Args:
        n: how many products; the last group is cut short to make exactly ``n``.
        seed: fixes every random choice.

    Raises:
        InvalidRequestError: if ``n`` is negative.
    """
    if n < 0:
        raise InvalidRequestError(f"a catalogue needs n >= 0 products; got n={n}")
    return _truths(n, seed)


def _truths(n: int, seed: int) -> Iterator[ProductTruth]:
    made = 0
    number = 0
    while made < n:
        number += 1
        rng = stable_rng(seed, "group", number)
        size = rng.choices(_GROUP_SIZES, weights=_GROUP_SIZE_WEIGHTS)[0]
        plan = _plan_group(rng, group_id(number))
        colours = _group_colours(rng, size)
        for colour in colours[: n - made]:
            made += 1
            yield _variant_truth(rng, plan, colour, product_id(made))


def _plan_group(rng: random.Random, gid: str) -> _GroupPlan:
    category = rng.choice(CATEGORIES)
    shape = category.shape
    patterns = ["solid"] if shape in _SOLID_ONLY else list(_PATTERN_WEIGHTS)
    weights = [_PATTERN_WEIGHTS[p] for p in patterns]
    scale = round(rng.uniform(0.66, 0.86), 3)
    room = (1.0 - scale) / 2 * 0.7
    return _GroupPlan(
        group_id=gid,
        category=category,
        brand=rng.choice(BRANDS),
        model=rng.choice(_MODEL_NAMES) + rng.choice(_MODEL_SUFFIXES),
        material=rng.choice(_SHAPE_MATERIALS[shape]),
        pattern=rng.choices(patterns, weights=weights)[0],
        variant=rng.randrange(3),
        scale=scale,
        offset=(round(rng.uniform(-room, room), 3), round(rng.uniform(-room, room), 3)),
        angle=round(rng.uniform(-8.0, 8.0), 2),
    )


def _group_colours(rng: random.Random, size: int) -> list[ColourName]:
    """Distinct colour names; families mostly distinct too (navy and sky blue may share)."""
    chosen: list[ColourName] = []
    while len(chosen) < size:
        used = {c.family for c in chosen}
        fresh = [f for f in COLOUR_FAMILIES if f not in used]
        family = (
            rng.choice(fresh) if rng.random() < _FRESH_FAMILY_RATE else rng.choice(COLOUR_FAMILIES)
        )
        options = [c for c in _COLOURS_BY_FAMILY[family] if c not in chosen]
        if options:
            chosen.append(rng.choice(options))
    return chosen


def _variant_truth(
    rng: random.Random, plan: _GroupPlan, colour: ColourName, pid: str
) -> ProductTruth:
    rgb = _jitter(rng, colour.rgb)
    label, labelled = _colour_label(rng, colour)
    return ProductTruth(
        id=pid,
        group_id=plan.group_id,
        category=plan.category.path,
        shape=plan.category.shape,
        colour_name=colour.name,
        colour_family=colour.family,
        rgb=rgb,
        pattern=plan.pattern,
        material=plan.material,
        brand=plan.brand,
        model=plan.model,
        colour_label=label,
        labelled_colour=labelled,
        variant=plan.variant,
        pattern_rgb=_pattern_colour(rgb),
        background_rgb=_background(rng, rgb),
        **jittered_layout(rng, scale=plan.scale, offset=plan.offset, angle=plan.angle),
    )


def jittered_layout(
    rng: random.Random, *, scale: float, offset: tuple[float, float], angle: float
) -> dict[str, Any]:
    """A variant's ``scale``, ``offset`` and ``angle``: the given layout nudged by the jitters.

    Draws four numbers from ``rng`` (scale, x, y, angle), so callers stay reproducible.
    """
    dx, dy = offset
    return {
        "scale": round(scale + rng.uniform(-VARIANT_SCALE_JITTER, VARIANT_SCALE_JITTER), 3),
        "offset": (
            round(dx + rng.uniform(-VARIANT_OFFSET_JITTER, VARIANT_OFFSET_JITTER), 3),
            round(dy + rng.uniform(-VARIANT_OFFSET_JITTER, VARIANT_OFFSET_JITTER), 3),
        ),
        "angle": round(angle + rng.uniform(-VARIANT_ANGLE_JITTER, VARIANT_ANGLE_JITTER), 2),
    }


def shopper_layout(rng: random.Random, truth: ProductTruth) -> ProductTruth:
    """``truth`` as a shopper photographs it: turned up to :data:`SHOPPER_ANGLE` degrees
    either way, a little smaller (:data:`SHOPPER_SCALE`) and anywhere in the frame. The
    centre stays where the unturned product would fit; a turned one pushed to a corner may lose
    a sliver to the frame's edge (about 8% of photos lose more than 1% of the product, none
    more than 3%), as hand-held photos do.

    The catalogue frames every product alike; a photo taken by hand does not. Used to train
    the demo model and to measure it (:mod:`hybrid.demo.model.evaluate`); draws three numbers
    from ``rng``."""
    low, high = SHOPPER_SCALE
    scale = round(truth.scale * rng.uniform(low, high), 3)
    room = (1.0 - scale) / 2 * 0.9
    return replace(
        truth,
        angle=round(truth.angle + rng.uniform(-SHOPPER_ANGLE, SHOPPER_ANGLE), 2),
        scale=scale,
        offset=(round(rng.uniform(-room, room), 3), round(rng.uniform(-room, room), 3)),
    )


def _colour_label(rng: random.Random, colour: ColourName) -> tuple[ColourLabel, str | None]:
    draw = rng.random()
    if draw < WRONG_COLOUR_RATE:
        others = [c for c in COLOURS.values() if c.family != colour.family]
        return "wrong", rng.choice(others).name
    if draw < WRONG_COLOUR_RATE + NO_COLOUR_RATE:
        return "none", None
    if draw < WRONG_COLOUR_RATE + NO_COLOUR_RATE + DESCRIPTION_ONLY_RATE:
        return "description", colour.name
    return "field", colour.name


def _jitter(rng: random.Random, rgb: RGB) -> RGB:
    r, g, b = (min(255, max(0, channel + rng.randint(-8, 8))) for channel in rgb)
    return (r, g, b)


def _luminance(rgb: RGB) -> float:
    r, g, b = rgb
    return 0.299 * r + 0.587 * g + 0.114 * b


def _pattern_colour(rgb: RGB) -> RGB:
    """A shade of the product colour, so the pattern never changes its colour family."""
    if _luminance(rgb) > _LIGHT:
        r, g, b = (round(channel * 0.65) for channel in rgb)
    else:
        r, g, b = (round(channel + (255 - channel) * 0.35) for channel in rgb)
    return (r, g, b)


def _background(rng: random.Random, rgb: RGB) -> RGB:
    far = [bg for bg in _BACKGROUNDS if _distance(bg, rgb) >= _MIN_BACKGROUND_DISTANCE]
    if far:
        return rng.choice(far)
    return max(_BACKGROUNDS, key=lambda bg: _distance(bg, rgb))


def _distance(a: RGB, b: RGB) -> float:
    return float(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)) ** 0.5)

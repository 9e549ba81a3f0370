"""Tests for product photos: every category draws, silhouettes differ, colour is visible."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from hybrid.demo.catalog import ProductTruth, iter_truths, render_image, render_mask
from hybrid.errors import InvalidRequestError
from hybrid.vocab import CATEGORIES, COLOURS, PATTERNS

SIZE = 64


def _truth(shape: str, **changes: object) -> ProductTruth:
    """A centred, unrotated, solid product of the given shape."""
    category = next(c for c in CATEGORIES if c.shape == shape)
    base = ProductTruth(
        id="sku-test",
        group_id="grp-test",
        category=category.path,
        shape=shape,
        colour_name="Cobalt",
        colour_family="blue",
        rgb=(0, 71, 171),
        pattern="solid",
        material="cotton",
        brand="Velora",
        model="Aero",
        colour_label="field",
        labelled_colour="Cobalt",
        variant=0,
        pattern_rgb=(89, 135, 200),
        background_rgb=(238, 235, 229),
        scale=0.8,
        offset=(0.0, 0.0),
        angle=0.0,
    )
    changes = {key: value for key, value in changes.items() if value is not None}
    return replace(base, **changes)  # type: ignore[arg-type]


def _mask(truth: ProductTruth) -> np.typing.NDArray[np.bool_]:
    return np.asarray(render_mask(truth, SIZE)) > 127


# One shop colour per category, so a renderer ignoring the colour cannot pass.
COLOUR_PER_SHAPE = zip(
    [c.shape for c in CATEGORIES],
    [
        "burgundy",
        "navy",
        "mustard",
        "olive",
        "charcoal",
        "lavender",
        "coral",
        "tan",
        "black",
        "hot pink",
        "teal",
        "white",
    ],
    strict=True,
)


@pytest.mark.parametrize(("shape", "colour"), list(COLOUR_PER_SHAPE))
def test_every_category_renders_a_large_product_in_its_colour(shape: str, colour: str) -> None:
    rgb = COLOURS[colour].rgb
    truth = _truth(shape, rgb=rgb, background_rgb=(190, 192, 196) if colour == "white" else None)
    image = render_image(truth, SIZE)
    assert image.mode == "RGB"
    assert image.size == (SIZE, SIZE)
    mask = _mask(truth)
    rows, cols = np.nonzero(mask)
    extent = max(rows.max() - rows.min(), cols.max() - cols.min()) + 1
    assert extent >= 0.4 * SIZE
    assert mask.mean() >= 0.12, "the product covers too little of the frame"
    pixels = np.asarray(image).reshape(-1, 3)[mask.reshape(-1)]
    median = np.median(pixels, axis=0)
    assert np.abs(median - truth.rgb).max() <= 12
    corner = np.asarray(image)[0, 0]
    assert np.abs(corner.astype(int) - truth.background_rgb).max() <= 2


def test_silhouettes_of_different_categories_differ() -> None:
    masks = {c.shape: _mask(_truth(c.shape)) for c in CATEGORIES}
    for (a, mask_a), (b, mask_b) in itertools.combinations(masks.items(), 2):
        iou = (mask_a & mask_b).sum() / (mask_a | mask_b).sum()
        assert iou < 0.8, f"{a} and {b} look alike (IoU {iou:.2f})"


@pytest.mark.parametrize("shape", ["cushion", "tshirt"])
@pytest.mark.parametrize("pattern", [p for p in PATTERNS if p != "solid"])
def test_patterns_are_drawn_but_the_product_colour_stays_dominant(pattern: str, shape: str) -> None:
    solid = _truth(shape)
    patterned = replace(solid, pattern=pattern)
    mask = _mask(solid)
    plain = np.asarray(render_image(solid, SIZE)).astype(int)[mask]
    drawn = np.asarray(render_image(patterned, SIZE)).astype(int)[mask]
    changed = (np.abs(plain - drawn).max(axis=1) > 30).mean()
    assert 0.05 <= changed <= 0.5
    assert np.abs(np.median(drawn, axis=0) - solid.rgb).max() <= 12


def test_rendering_is_deterministic_and_follows_the_truth() -> None:
    truths = list(iter_truths(12, 9))
    first = [render_image(t, 48).tobytes() for t in truths]
    assert first == [render_image(t, 48).tobytes() for t in truths]
    assert len(set(first)) == len(first)
    moved = replace(truths[0], offset=(0.1, 0.1))
    assert render_image(moved, 48).tobytes() != first[0]


def test_layout_varies_between_groups_but_not_within_one() -> None:
    truths = list(iter_truths(300, 4))
    scales = {t.scale for t in truths}
    assert max(scales) - min(scales) > 0.1
    assert len({t.background_rgb for t in truths}) >= 4
    by_group: dict[str, list[ProductTruth]] = {}
    for truth in truths:
        by_group.setdefault(truth.group_id, []).append(truth)
    for members in by_group.values():
        assert max(t.scale for t in members) - min(t.scale for t in members) <= 0.04
        assert len({t.variant for t in members}) == 1


def test_light_products_get_a_background_they_stand_out_from() -> None:
    for truth in iter_truths(400, 2):
        distance = np.linalg.norm(np.subtract(truth.rgb, truth.background_rgb))
        assert distance >= 50, truth.colour_name


def test_bad_size_and_unknown_shape_are_rejected_with_the_product_id() -> None:
    with pytest.raises(InvalidRequestError, match=r"sku-test.*minimum is 16"):
        render_image(_truth("mug"), 8)
    with pytest.raises(InvalidRequestError, match=r"sku-test.*'teapot'"):
        render_image(replace(_truth("mug"), shape="teapot"), 32)

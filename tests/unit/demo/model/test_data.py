"""Tests for the demo CLIP's training data (hybrid.demo.model.data): colourways and batches."""

from __future__ import annotations

import random

import torch

from hybrid.demo.catalog import iter_truths
from hybrid.demo.model.data import colourway, generate_products, group_batches


def _backdrops() -> list[tuple[int, int, int]]:
    return sorted({truth.background_rgb for truth in iter_truths(200, 5)})


def test_a_colourway_is_the_same_model_in_another_colour_family() -> None:
    rng = random.Random(1)
    for truth in iter_truths(60, 5):
        other = colourway(truth, rng=rng, backdrops=_backdrops())
        assert other.colour_family != truth.colour_family
        assert (other.group_id, other.shape, other.pattern, other.variant) == (
            truth.group_id,
            truth.shape,
            truth.pattern,
            truth.variant,
        )
        assert (other.scale, other.offset, other.angle) == (truth.scale, truth.offset, truth.angle)


def test_a_jittered_colourway_moves_its_layout_as_little_as_catalogue_variants_do() -> None:
    rng = random.Random(2)
    moved = 0
    for truth in iter_truths(60, 5):
        other = colourway(truth, rng=rng, backdrops=_backdrops(), jitter=True)
        assert abs(other.scale - truth.scale) <= 0.0201
        assert all(abs(a - b) <= 0.0201 for a, b in zip(other.offset, truth.offset, strict=True))
        assert abs(other.angle - truth.angle) <= 1.501
        layout = (other.scale, other.offset, other.angle)
        moved += layout != (truth.scale, truth.offset, truth.angle)
    assert moved == 60


def test_generated_products_add_colourways_to_each_group_and_are_deterministic() -> None:
    first = generate_products(30, 9, colourways=2, jitter=True)
    again = generate_products(30, 9, colourways=2, jitter=True)
    assert [truth for _, truth in first] == [truth for _, truth in again]
    assert len(first) == 90
    catalogue_ids = {truth.id for _, truth in first[:30]}
    for record, truth in first[30:]:
        assert truth.id.rsplit("-cw", 1)[0] in catalogue_ids
        assert record["id"] == truth.id


def test_batches_keep_variant_groups_whole_and_cover_every_row() -> None:
    group = torch.tensor([0, 0, 1, 2, 2, 2, 3, 4, 4, 5])
    category = torch.tensor([0, 0, 1, 0, 0, 0, 1, 2, 2, 2])
    batches = group_batches(group, category, batch_size=4, rng=random.Random(3))
    seen = [row for batch in batches for row in batch]
    assert len(seen) == len(set(seen))
    # Only a batch of one row is dropped (it has nothing to compare with): a lone product.
    missing = set(range(10)) - set(seen)
    assert all((group == group[row]).sum() == 1 for row in missing)
    assert len(missing) <= 1
    for batch in batches:
        groups = {int(group[row]) for row in batch}
        for number in groups:
            members = {row for row, g in enumerate(group.tolist()) if g == number}
            assert members <= set(batch)

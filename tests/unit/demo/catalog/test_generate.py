"""Tests for streaming product generation: determinism, record schema, feed messiness."""

from __future__ import annotations

import itertools
import json
import random
import re
import time
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

import pytest

from hybrid.demo.catalog import ProductTruth, iter_products
from hybrid.demo.catalog.generate import SHOPPER_ANGLE, SHOPPER_SCALE, shopper_layout
from hybrid.errors import InvalidRequestError
from hybrid.vocab import CATEGORIES, COLOURS, category_by_path, colour_family_of_word

RECORD_KEYS = {
    "id",
    "group_id",
    "title",
    "description",
    "brand",
    "category",
    "colour",
    "material",
    "pattern",
    "price",
    "stock",
    "in_stock",
    "attributes",
    "images",
    "updated_at",
    "version",
}

Product = tuple[dict[str, Any], ProductTruth]


@pytest.fixture(scope="module")
def products() -> list[Product]:
    return list(iter_products(500, 42))


def _dump(items: list[Product]) -> list[str]:
    return [json.dumps([record, truth.to_dict()]) for record, truth in items]


def _colour_words(text: str) -> list[str]:
    """Colour words (single words and two-word names) appearing in a text."""
    words = re.findall(r"[a-z]+(?:-[a-z]+)*", text.lower())
    bigrams = [" ".join(pair) for pair in itertools.pairwise(words)]
    return [w for w in [*words, *bigrams] if colour_family_of_word(w) is not None]


def test_same_seed_gives_the_same_products_and_another_seed_others() -> None:
    first = _dump(list(iter_products(150, 7)))
    assert first == _dump(list(iter_products(150, 7)))
    assert first != _dump(list(iter_products(150, 8)))


def test_a_smaller_catalogue_is_a_prefix_of_a_larger_one() -> None:
    assert _dump(list(iter_products(37, 3))) == _dump(list(iter_products(90, 3)))[:37]


def test_streaming_a_million_products_yields_the_first_ones_at_once() -> None:
    started = time.perf_counter()
    stream = iter_products(1_000_000, 1)
    first = list(itertools.islice(stream, 200))
    assert time.perf_counter() - started < 2.0
    assert first[-1][0]["id"] == "sku-000200"


def test_negative_n_is_rejected_when_called_not_when_iterated() -> None:
    with pytest.raises(InvalidRequestError, match="n=-1"):
        iter_products(-1, 0)


def test_records_have_exactly_the_ingestion_schema(products: list[Product]) -> None:
    paths = {c.path for c in CATEGORIES}
    for number, (record, truth) in enumerate(products, start=1):
        assert set(record) == RECORD_KEYS
        assert record["id"] == f"sku-{number:06d}" == truth.id
        assert re.fullmatch(r"grp-\d{6}", record["group_id"])
        assert record["category"] in paths
        assert record["images"] == [f"images/{record['id']}.png"]
        assert isinstance(record["price"], float)
        assert record["price"] > 0
        assert isinstance(record["stock"], int)
        assert record["stock"] >= 0
        assert record["in_stock"] is (record["stock"] > 0)
        assert isinstance(record["version"], int)
        assert record["version"] >= 1
        assert record["updated_at"].endswith("Z")
        assert datetime.fromisoformat(record["updated_at"]).tzinfo is not None
        assert record["colour"] is None or isinstance(record["colour"], str)
        attributes = record["attributes"]
        assert len(attributes) <= 8
        for value in attributes.values():
            assert isinstance(value, str) or all(isinstance(v, str) for v in value)


def test_groups_are_consecutive_variants_of_one_model_in_distinct_colours(
    products: list[Product],
) -> None:
    groups: dict[str, list[ProductTruth]] = defaultdict(list)
    order: list[str] = []
    for _, truth in products:
        if not order or order[-1] != truth.group_id:
            order.append(truth.group_id)
        groups[truth.group_id].append(truth)
    assert len(order) == len(groups), "a group's products are not consecutive"
    sizes = Counter(len(members) for members in groups.values())
    assert set(sizes) == {1, 2, 3, 4}
    for members in groups.values():
        shared = {(t.brand, t.model, t.category, t.pattern, t.material) for t in members}
        assert len(shared) == 1
        assert len({t.colour_name for t in members}) == len(members)


def test_truth_colours_are_consistent_with_the_vocabulary(products: list[Product]) -> None:
    for _, truth in products:
        colour = COLOURS[truth.colour_name.lower()]
        assert truth.colour_family == colour.family
        assert truth.shape == category_by_path(truth.category).shape
        assert max(abs(a - b) for a, b in zip(truth.rgb, colour.rgb, strict=True)) <= 8
    assert {t.colour_family for _, t in products} == set(c.family for c in COLOURS.values())


def test_colour_messiness_ratios_are_roughly_as_specified(products: list[Product]) -> None:
    labels = Counter(truth.colour_label for _, truth in products)
    n = len(products)
    assert 0.09 <= labels["description"] / n <= 0.22
    assert 0.02 <= labels["none"] / n <= 0.09
    assert 1 <= labels["wrong"] <= 25
    missing_field = sum(record["colour"] is None for record, _ in products)
    assert 0.14 <= missing_field / n <= 0.30


def test_each_colour_label_kind_is_reflected_in_the_record(products: list[Product]) -> None:
    for record, truth in products:
        name = truth.colour_name.lower()
        text = f"{record['title']} {record['description']}"
        if truth.colour_label == "field":
            assert record["colour"].lower() == name
        elif truth.colour_label == "description":
            assert record["colour"] is None
            assert name in record["description"].lower()
            assert _colour_words(record["title"]) == []
        elif truth.colour_label == "none":
            assert record["colour"] is None
            assert _colour_words(text) == [], record["id"]
        else:
            assert record["colour"] is not None
            assert colour_family_of_word(record["colour"]) != truth.colour_family


def test_titles_use_category_synonyms_and_shop_colour_names(products: list[Product]) -> None:
    nouns_used: dict[str, set[str]] = defaultdict(set)
    for record, truth in products:
        title = record["title"].lower()
        nouns = [n for n in category_by_path(truth.category).nouns if n in title]
        assert nouns, record["title"]
        nouns_used[truth.category].add(max(nouns, key=len))
    assert all(len(used) >= 2 for used in nouns_used.values()), nouns_used
    with_colour = [r for r, t in products if t.colour_name.lower() in r["title"].lower()]
    assert len(with_colour) > len(products) / 2


def test_a_shopper_photo_turns_shrinks_and_moves_the_product_within_the_frame(
    products: list[Product],
) -> None:
    truths = [truth for _, truth in products]
    rng, again = random.Random(7), random.Random(7)
    draws = [shopper_layout(rng, truth) for truth in truths]
    assert draws == [shopper_layout(again, truth) for truth in truths]
    turned = 0
    for truth, photo in zip(truths, draws, strict=True):
        assert (photo.id, photo.rgb, photo.category) == (truth.id, truth.rgb, truth.category)
        assert abs(photo.angle - truth.angle) <= SHOPPER_ANGLE + 0.01
        low, high = SHOPPER_SCALE
        assert truth.scale * low - 0.001 <= photo.scale <= truth.scale * high + 0.001
        room = (1.0 - photo.scale) / 2
        assert all(abs(shift) <= room for shift in photo.offset)  # the unturned product fits
        turned += abs(photo.angle - truth.angle) > 5
    assert turned > len(truths) / 2  # most photos are turned well beyond a variant's jitter

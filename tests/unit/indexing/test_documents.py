"""hybrid.indexing.documents: the document of a product and the text CLIP embeds."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from hybrid.indexing.documents import (
    build_document,
    embedding_text,
    mean_image_vector,
    product_text,
)
from hybrid.indexing.records import ProductRecord
from hybrid.mapping import mapping_version

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
VECTOR = np.full(4, 0.5, dtype=np.float32)


def _record(**fields: Any) -> ProductRecord:
    return ProductRecord.model_validate({"id": "sku-1", "title": "Echo Purse", **fields})


def _doc(record: ProductRecord, **overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {"image_colour": None, "model_id": "demo@1", "now": NOW}
    arguments.update(overrides)
    image_vector = arguments.pop("image_vector", VECTOR)
    return build_document(record, image_vector, VECTOR, **arguments)


def test_document_of_a_full_record() -> None:
    record = _record(
        group_id="grp-1",
        description="A purse.",
        brand="Velora",
        category="Bags > Handbags",
        colour="Burgundy",
        material="velvet",
        pattern="striped",
        price=416.99,
        stock=3,
        attributes={"closure": "magnetic", "size": ["S", "M"]},
        version=4,
        images=["images/sku-1.png", "https://cdn.example.com/a.jpg"],
        updated_at="2025-05-17T03:02:55Z",
    )
    doc = _doc(record, image_colour=("red", (128, 0, 32)))
    assert doc == {
        "id": "sku-1",
        "group_id": "grp-1",
        "title": "Echo Purse",
        "description": "A purse.",
        "brand": "Velora",
        "category": "Bags > Handbags",
        "category_path": ["Bags", "Bags > Handbags"],
        "category_text": "Bags Handbags",
        "colour": "Burgundy",
        "colour_family": "red",
        "image_colour_family": "red",
        "image_colour_rgb": "#800020",
        "material": "velvet",
        "pattern": "striped",
        "price": 416.99,
        "stock": 3,
        "in_stock": True,
        "attributes": {"closure": "magnetic", "size": ["S", "M"]},
        "images": ["images/sku-1.png", "https://cdn.example.com/a.jpg"],
        "image_vector": [0.5] * 4,
        "text_vector": [0.5] * 4,
        "has_image_vector": True,
        "image_count": 2,
        "image_colour_agrees": True,
        "model_id": "demo@1",
        "mapping_version": mapping_version(),
        "updated_at": "2025-05-17T03:02:55+00:00",
        "indexed_at": "2026-01-02T03:04:05+00:00",
    }
    json.dumps(doc)  # plain JSON types only, no numpy scalars


def test_a_minimal_record_leaves_missing_fields_out() -> None:
    doc = _doc(_record(), image_vector=None)
    assert doc == {
        "id": "sku-1",
        "group_id": "sku-1",
        "title": "Echo Purse",
        "text_vector": [0.5] * 4,
        "has_image_vector": False,
        "image_count": 0,
        "model_id": "demo@1",
        "mapping_version": mapping_version(),
        "indexed_at": "2026-01-02T03:04:05+00:00",
    }


@pytest.mark.parametrize(
    ("label", "family"),
    [("Navy Blue", "blue"), ("dusty rose", "pink"), ("Charcoal", "grey"), ("zzz", None)],
)
def test_colour_family_is_the_normalised_label(label: str, family: str | None) -> None:
    doc = _doc(_record(colour=label))
    assert doc["colour"] == label
    assert doc.get("colour_family") == family


@pytest.mark.parametrize(
    ("stock", "in_stock", "expected"),
    [(0, None, False), (5, None, True), (0, True, True), (None, False, False), (None, None, None)],
)
def test_in_stock_comes_from_the_flag_else_from_the_stock(
    stock: int | None, in_stock: bool | None, expected: bool | None
) -> None:
    assert _doc(_record(stock=stock, in_stock=in_stock)).get("in_stock") is expected


def test_zero_price_and_zero_stock_are_kept() -> None:
    doc = _doc(_record(price=0.0, stock=0))
    assert (doc["price"], doc["stock"]) == (0.0, 0)


def test_inline_image_bytes_are_not_copied_into_the_document() -> None:
    doc = _doc(_record(images=[{"data": "iVBORw0KGgo="}]))
    assert doc["images"] == ["<bytes>"]


@pytest.mark.parametrize(
    ("label", "seen", "agrees"),
    [
        ("Burgundy", "red", True),
        ("Burgundy", "blue", False),
        (None, "red", None),
        ("Navy", None, None),
    ],
)
def test_image_colour_agrees_only_when_label_and_image_both_give_a_family(
    label: str | None, seen: str | None, agrees: bool | None
) -> None:
    image_colour = (seen, (1, 2, 3)) if seen else None
    doc = _doc(_record(colour=label), image_colour=image_colour)
    assert doc.get("image_colour_agrees") is agrees


def test_embedding_text_is_title_colour_and_category_leaf() -> None:
    record = _record(colour="Powder Blue", category="Bags > Handbags")
    assert embedding_text(record) == "Echo Purse Powder Blue Handbags"
    assert embedding_text(_record()) == "Echo Purse"


def test_product_text_is_title_category_and_facet_words_without_the_description() -> None:
    record = _record(
        description="A purse for evenings.",
        category="Bags > Handbags",
        colour="Burgundy",
        material="velvet",
        pattern="striped",
    )
    assert product_text(record) == "Echo Purse. Bags Handbags. Burgundy velvet striped"
    assert product_text(_record()) == "Echo Purse"


def test_the_text_model_vector_is_stored_only_when_given() -> None:
    assert "text_model_vector" not in _doc(_record())
    doc = _doc(_record(), text_model_vector=np.array([0.6, 0.8], dtype=np.float32))
    assert doc["text_model_vector"] == pytest.approx([0.6, 0.8])


def test_mean_image_vector_is_unit_length_and_handles_zero() -> None:
    vectors = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    mean = mean_image_vector(vectors)
    assert mean.dtype == np.float32
    np.testing.assert_allclose(mean, [2**-0.5, 2**-0.5], rtol=1e-6)
    np.testing.assert_array_equal(mean_image_vector(np.zeros((1, 2), np.float32)), [0.0, 0.0])

"""hybrid.schema against mappings/products.json: one schema, checked field for field."""

from __future__ import annotations

import json
from pathlib import Path

from hybrid import schema

PRODUCTS = Path(__file__).resolve().parents[2] / "mappings" / "products.json"


def _properties() -> dict[str, dict[str, object]]:
    template = json.loads(PRODUCTS.read_text())["template"]
    properties: dict[str, dict[str, object]] = template["mappings"]["properties"]
    return properties


def test_every_mapped_field_is_named_in_the_schema_and_back() -> None:
    assert sorted(_properties()) == sorted(schema.PRODUCT_FIELDS)


def test_multi_fields_named_in_the_schema_exist() -> None:
    properties = _properties()
    for dotted in (schema.BRAND_TEXT, schema.COLOUR_TEXT):
        parent, child = dotted.split(".")
        assert child in properties[parent]["fields"]  # type: ignore[operator]


def test_vector_fields_are_the_dense_vectors() -> None:
    dense = {name for name, spec in _properties().items() if spec["type"] == "dense_vector"}
    assert dense == set(schema.VECTOR_FIELDS)


def test_quantized_types_are_the_quantized_index_options() -> None:
    assert {t for t in schema.QUANTIZED_TYPES if not t.startswith(("int8", "bbq"))} == set()
    assert {"hnsw", "int8_hnsw", "bbq_hnsw"} <= schema.HNSW_TYPES

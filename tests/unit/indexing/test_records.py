"""Tests for hybrid.indexing.records: what a feed record may contain, its version and category."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from hybrid.indexing.records import MAX_ATTRIBUTE_VALUES, MAX_ATTRIBUTES, MAX_IMAGES, ProductRecord


def _record(**fields: Any) -> ProductRecord:
    return ProductRecord.model_validate({"id": "sku-1", "title": "Red shoe", **fields})


def _error_locations(**fields: Any) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        _record(**fields)
    return [".".join(str(part) for part in error["loc"]) for error in caught.value.errors()]


@pytest.mark.parametrize("price", [float("nan"), float("inf"), float("-inf"), "NaN", -0.01])
def test_price_must_be_a_finite_non_negative_number(price: object) -> None:
    assert _error_locations(price=price) == ["price"]


def test_unknown_fields_are_refused_not_dropped() -> None:
    assert _error_locations(colourway="red") == ["colourway"]


@pytest.mark.parametrize("product_id", ["", "   ", "sku 1", "a" * 257, "\U0001d11e" * 200])
def test_ids_are_non_empty_without_spaces_and_fit_an_elasticsearch_id(product_id: str) -> None:
    assert _error_locations(id=product_id) == ["id"]


def test_id_and_title_are_stripped() -> None:
    record = _record(id="  sku-9 ", title="  Blue bag  ")
    assert (record.id, record.title) == ("sku-9", "Blue bag")


def test_attributes_are_bounded_in_number() -> None:
    at_limit = {f"a{i}": "x" for i in range(MAX_ATTRIBUTES)}
    assert len(_record(attributes=at_limit).attributes) == MAX_ATTRIBUTES
    assert _error_locations(attributes={**at_limit, "one_more": "x"}) == ["attributes"]


def test_attribute_names_are_short_lower_case_identifiers() -> None:
    for name in ("Size", "shoe size", "a" * 41, "size.eu"):
        assert _error_locations(attributes={name: "40"})[0].startswith(f"attributes.{name}")


def test_attribute_values_are_bounded_in_length_and_count() -> None:
    assert _record(attributes={"size": ["40", "41"]}).attributes == {"size": ["40", "41"]}
    too_many = [str(i) for i in range(MAX_ATTRIBUTE_VALUES + 1)]
    assert "attributes.size.list[constrained-str]" in _error_locations(
        attributes={"size": too_many}
    )
    assert _error_locations(attributes={"note": "x" * 101})[0].startswith("attributes.note")
    assert _error_locations(attributes={"nested": {"a": "b"}})[0].startswith("attributes.nested")


def test_images_are_paths_urls_or_bytes_and_bounded_in_number() -> None:
    record = _record(images=["images/a.png", "https://cdn.example.com/b.jpg", {"data": "iVBO"}])
    assert record.images[0].path == "images/a.png"
    assert record.images[1].url == "https://cdn.example.com/b.jpg"
    assert record.images[2].data == b"\x89PN"
    assert _error_locations(images=["a.png"] * (MAX_IMAGES + 1)) == ["images"]


def test_external_version_prefers_the_explicit_version() -> None:
    assert _record(version=7, updated_at="2025-01-01T00:00:00Z").external_version() == 7
    assert _record(version=0).external_version() == 0


def test_external_version_falls_back_to_updated_at_in_milliseconds() -> None:
    record = _record(updated_at="2025-01-01T00:00:00.250Z")
    assert record.external_version() == 1_735_689_600_250
    later = _record(updated_at="2025-01-01T00:00:01Z")
    assert later.external_version() > record.external_version()


def test_naive_updated_at_is_read_as_utc() -> None:
    naive = _record(updated_at="2025-01-01T00:00:00")
    assert naive.updated_at == datetime(2025, 1, 1, tzinfo=UTC)
    assert naive.external_version() == _record(updated_at="2025-01-01T00:00:00Z").external_version()


def test_external_version_defaults_to_one() -> None:
    assert _record().external_version() == 1


def test_negative_versions_are_refused() -> None:
    assert _error_locations(version=-1) == ["version"]


@pytest.mark.parametrize(
    ("category", "path"),
    [
        ("Footwear > Sneakers", ["Footwear", "Footwear > Sneakers"]),
        ("Home>Kitchen > Mugs ", ["Home", "Home > Kitchen", "Home > Kitchen > Mugs"]),
        ("Bags", ["Bags"]),
        (" > Bags > ", ["Bags"]),
        (None, []),
    ],
)
def test_category_path_lists_every_prefix(category: str | None, path: list[str]) -> None:
    assert _record(category=category).category_path() == path

"""Tests for hybrid.indexing.records: what a feed record may contain, its version and category."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from hybrid.indexing.records import (
    ASSIGNED_FLOOR,
    MAX_ATTRIBUTE_VALUES,
    MAX_ATTRIBUTES,
    MAX_IMAGES,
    ProductRecord,
    assign_versions,
)


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


def test_a_record_without_version_gets_an_assigned_one_that_grows() -> None:
    before = time.time_ns()
    plain = [_record(), _record(id="sku-2"), _record(version=5), _record(updated_at="2025-01-01")]
    assigned = assign_versions(plain)
    first, second = (record.version or 0 for record in assigned[:2])
    print(f"assigned versions {first}, {second} (epoch ns; before = {before})")
    assert before <= first < second
    assert [r.version_kind() for r in assigned] == ["assigned", "assigned", "version", "updated_at"]
    assert (assigned[2].version, assigned[3].version) == (5, None)  # given versions are kept
    # Still in the assigned band after the trip through the queue (JSON) and validation again.
    again = ProductRecord.model_validate(assigned[0].model_dump(mode="json"))
    assert (again.version_kind(), again.external_version()) == ("assigned", first)


def test_a_record_reaching_a_writer_without_version_gets_the_time_of_writing() -> None:
    one, two = _record().external_version(), _record().external_version()
    assert ASSIGNED_FLOOR <= one < two


@pytest.mark.parametrize(
    "version", [2**63, 2**63 - 1, ASSIGNED_FLOOR * 9, time.time_ns() + 2 * 86_400 * 10**9]
)
def test_far_future_and_out_of_range_versions_are_refused(version: int) -> None:
    with pytest.raises(ValidationError, match="expected below 10\\^18, or an assigned version"):
        _record(version=version)


@pytest.mark.parametrize(
    "updated_at", ["1960-01-01T00:00:00Z", "1969-12-31T23:59:59.999Z", "9999-12-31T00:00:00Z"]
)
def test_updated_at_before_1970_or_far_in_the_future_is_refused(updated_at: str) -> None:
    with pytest.raises(ValidationError, match="expected a time from 1970-01-01") as caught:
        _record(updated_at=updated_at)
    assert "to now + 1 day" in str(caught.value)
    assert _record(updated_at="1970-01-01T00:00:00Z").external_version() == 0


@pytest.mark.parametrize(("field", "value"), [("price", "12.5"), ("stock", "3"), ("stock", 3.0)])
def test_numbers_are_strict_not_coerced_from_strings(field: str, value: object) -> None:
    assert _error_locations(**{field: value}) == [field]
    assert _record(price=12).price == 12.0  # an integer price is a number all the same


def test_stock_beyond_the_mappings_integer_is_refused_here_not_in_elasticsearch() -> None:
    assert _error_locations(stock=2**31) == ["stock"]
    assert _record(stock=2**31 - 1).stock == 2**31 - 1


def test_a_500_deep_record_is_a_clean_reject_not_a_recursion_error() -> None:
    deep: dict[str, Any] = {"x": "y"}
    for _ in range(500):
        deep = {"a": deep}
    with pytest.raises(ValidationError, match="nested more than 8 levels deep"):
        _record(attributes=deep)


def test_a_50_mb_description_is_refused_before_its_field_is_read() -> None:
    with pytest.raises(ValidationError, match="more than 262144 characters of text"):
        _record(description="x" * 50_000_000)


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

"""Filters -> Elasticsearch filter clauses, facet splitting and "all other facets"."""

from __future__ import annotations

from typing import Any

import pytest

from hybrid.errors import InvalidFilterError
from hybrid.query.filters import (
    FACET_FIELDS,
    TRANSLATORS,
    colour_clause,
    filters_without,
    split_facets,
    to_clauses,
)
from hybrid.query.request import Filters, PriceRange

RED_OR_PINK = {
    "bool": {
        "should": [
            {"terms": {"colour_family": ["red", "pink"]}},
            {
                "bool": {
                    "must_not": [{"exists": {"field": "colour_family"}}],
                    "filter": [{"terms": {"image_colour_family": ["red", "pink"]}}],
                }
            },
        ],
        "minimum_should_match": 1,
    }
}

EVERYTHING = Filters(
    colour_family=["red", "pink"],
    category=["Footwear > Sneakers"],
    brand=["Velora", "Lumo"],
    price=PriceRange(gte=10, lte=99.5),
    in_stock=True,
    attributes={"size": ["42", "43"], "fit": ["slim"]},
)


def test_no_filters_no_clauses() -> None:
    assert to_clauses(Filters()) == []
    assert Filters().is_empty()


def test_colour_family_uses_label_else_image_family() -> None:
    assert to_clauses(Filters(colour_family=["red", "pink"])) == [RED_OR_PINK]
    assert colour_clause(["red", "pink"]) == RED_OR_PINK


def test_category_is_a_subtree_filter_on_category_path() -> None:
    clauses = to_clauses(Filters(category=["Footwear", "Clothing > Dresses"]))
    assert clauses == [{"terms": {"category_path": ["Footwear", "Clothing > Dresses"]}}]


def test_brand_is_a_terms_filter() -> None:
    assert to_clauses(Filters(brand=["Velora"])) == [{"terms": {"brand": ["Velora"]}}]


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        (PriceRange(gte=10, lte=20), [{"range": {"price": {"gte": 10.0, "lte": 20.0}}}]),
        (PriceRange(gte=0), [{"range": {"price": {"gte": 0.0}}}]),
        (PriceRange(lte=5), [{"range": {"price": {"lte": 5.0}}}]),
        (PriceRange(), []),
    ],
)
def test_price_is_an_inclusive_range(price: PriceRange, expected: list[dict[str, Any]]) -> None:
    assert to_clauses(Filters(price=price)) == expected


@pytest.mark.parametrize("in_stock", [True, False])
def test_in_stock_is_a_term_filter(in_stock: bool) -> None:
    assert to_clauses(Filters(in_stock=in_stock)) == [{"term": {"in_stock": in_stock}}]


def test_attributes_are_one_terms_clause_per_flattened_key_sorted_by_name() -> None:
    clauses = to_clauses(Filters(attributes={"size": ["42", "43"], "fit": ["slim"]}))
    assert clauses == [
        {"terms": {"attributes.fit": ["slim"]}},
        {"terms": {"attributes.size": ["42", "43"]}},
    ]


def test_every_field_in_dispatch_order() -> None:
    assert list(TRANSLATORS) == list(Filters.model_fields)
    assert to_clauses(EVERYTHING) == [
        RED_OR_PINK,
        {"terms": {"category_path": ["Footwear > Sneakers"]}},
        {"terms": {"brand": ["Velora", "Lumo"]}},
        {"range": {"price": {"gte": 10.0, "lte": 99.5}}},
        {"term": {"in_stock": True}},
        {"terms": {"attributes.fit": ["slim"]}},
        {"terms": {"attributes.size": ["42", "43"]}},
    ]


def test_filters_without_clears_one_field_only() -> None:
    without_brand = filters_without(EVERYTHING, "brand")
    assert without_brand.brand == []
    assert to_clauses(without_brand) == [
        c for c in to_clauses(EVERYTHING) if c != {"terms": {"brand": ["Velora", "Lumo"]}}
    ]
    assert filters_without(EVERYTHING, "price").price is None
    assert EVERYTHING.brand == ["Velora", "Lumo"]  # the original is untouched


def test_filters_without_unknown_field_is_a_filter_error() -> None:
    with pytest.raises(InvalidFilterError, match="unknown filter field 'colour'"):
        filters_without(EVERYTHING, "colour")


def test_split_facets_partitions_the_clauses() -> None:
    hard, facets = split_facets(EVERYTHING)
    assert FACET_FIELDS == ("colour_family", "category", "brand", "price")
    assert to_clauses(hard) == [
        {"term": {"in_stock": True}},
        {"terms": {"attributes.fit": ["slim"]}},
        {"terms": {"attributes.size": ["42", "43"]}},
    ]
    assert to_clauses(facets) == to_clauses(EVERYTHING)[:4]


def test_meets_reads_a_source_the_way_the_clauses_filter() -> None:
    from hybrid.query.filters import meets
    from hybrid.query.request import Filters, PriceRange

    wanted = Filters(
        colour_family=["red"], category=["Footwear"], price=PriceRange(lte=50), brand=["Velora"]
    )
    red = {"colour_family": "red", "category_path": ["Footwear", "Footwear > Boots"], "price": 40}
    assert meets(red, wanted, ["colour_family", "category", "price"])
    assert not meets({**red, "price": 60}, wanted, ["price"])
    assert not meets({**red, "brand": "Lumo"}, wanted, ["brand"])
    # No label family: the photo's family decides; a label family wins over the photo.
    assert meets({"image_colour_family": "red"}, wanted, ["colour_family"])
    assert not meets(
        {"colour_family": "blue", "image_colour_family": "red"}, wanted, ["colour_family"]
    )
    assert not meets(None, wanted, ["colour_family"])

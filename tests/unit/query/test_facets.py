"""Facet aggregations: multi-select filtering, colour buckets, price buckets, post_filter."""

from __future__ import annotations

from hybrid.query.facets import facet_aggs
from hybrid.query.filters import colour_clause
from hybrid.query.request import Filters, PriceRange
from hybrid.vocab import COLOUR_FAMILIES

FILTERS = Filters(
    colour_family=["red"],
    brand=["Velora"],
    price=PriceRange(lte=100),
    in_stock=True,
)
BRAND = {"terms": {"brand": ["Velora"]}}
PRICE = {"range": {"price": {"lte": 100.0}}}
STOCK = {"term": {"in_stock": True}}
RED = colour_clause(["red"])


def test_facet_aggs_filter_each_facet_by_the_other_facets_only() -> None:
    aggs = facet_aggs(FILTERS, size=5)
    assert aggs["colour_family"]["filter"] == {"bool": {"filter": [BRAND, PRICE]}}
    assert aggs["brand"]["filter"] == {"bool": {"filter": [RED, PRICE]}}
    assert aggs["price"]["filter"] == {"bool": {"filter": [RED, BRAND]}}
    assert aggs["category"]["filter"] == {"bool": {"filter": [RED, BRAND, PRICE]}}
    assert aggs["brand"]["aggs"] == {
        "values": {"terms": {"field": "brand", "size": 5}},
        "selected": {
            "terms": {"field": "brand", "include": ["Velora"], "size": 1, "min_doc_count": 0}
        },
    }
    assert aggs["category"]["aggs"] == {
        "values": {"terms": {"field": "category", "size": 5}},
        "paths": {"terms": {"field": "category_path", "size": 5}},
    }


def test_ticked_categories_are_counted_on_every_level_of_the_tree() -> None:
    filters = Filters(category=["Footwear", "Bags > Handbags"])
    selected = facet_aggs(filters)["category"]["aggs"]["selected"]["terms"]
    assert selected["field"] == "category_path"
    assert selected["include"] == ["Footwear", "Bags > Handbags"]
    assert selected["min_doc_count"] == 0


def test_colour_facet_counts_what_the_colour_filter_selects() -> None:
    buckets = facet_aggs(Filters())["colour_family"]["aggs"]["values"]["filters"]["filters"]
    assert list(buckets) == list(COLOUR_FAMILIES)
    assert buckets["red"] == RED


def test_facet_aggs_without_filters_match_all() -> None:
    aggs = facet_aggs(Filters())
    assert list(aggs) == ["colour_family", "category", "brand", "price"]
    assert all(agg["filter"] == {"match_all": {}} for agg in aggs.values())


def test_price_facet_buckets() -> None:
    ranges = facet_aggs(Filters())["price"]["aggs"]["values"]["range"]["ranges"]
    assert ranges[0] == {"key": "*-25", "to": 25}
    assert ranges[1] == {"key": "25-50", "from": 25, "to": 50}
    assert ranges[-1] == {"key": "500-*", "from": 500}

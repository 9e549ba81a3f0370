"""Translate :class:`~hybrid.query.request.Filters` into Elasticsearch filter clauses.

A pure translator driven by a dispatch table (one small function per filter field), in the
spirit of haystack's Elasticsearch ``filters.py``. The output is a flat ``list[dict]`` that goes
*unchanged* into ``knn.filter`` and into ``bool.filter`` of the BM25 query: every leg then ranks
the same set of products, so fusion never mixes a filtered leg with an unfiltered one.

Semantics: values of one field are OR-ed (``terms``), fields are AND-ed (one clause each).

Facets. Colour family, category, brand and price are *facets* (multi-select in a shop's
sidebar); stock and free attributes are *hard* filters. :func:`split_facets` separates them so
a BM25 request can keep hard filters in the query and put facet filters in ``post_filter``, and
:func:`filters_without` gives the "all other facets" filter each facet's aggregation needs.
kNN legs must keep every filter in ``knn.filter``: a ``post_filter`` runs after the top ``k``
neighbours were picked and would silently return fewer than ``k`` hits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Literal

from hybrid.errors import InvalidFilterError
from hybrid.query.request import Filters
from hybrid.schema import (
    ATTRIBUTES,
    BRAND,
    CATEGORY_PATH,
    COLOUR_FAMILY,
    IMAGE_COLOUR_FAMILY,
    IN_STOCK,
    PRICE,
)

Clause = dict[str, Any]
FilterField = Literal["colour_family", "category", "brand", "price", "in_stock", "attributes"]
FacetField = Literal["colour_family", "category", "brand", "price"]

#: Filters shown as multi-select facets, in display order.
FACET_FIELDS: Final[tuple[FacetField, ...]] = ("colour_family", "category", "brand", "price")


def colour_clause(families: Sequence[str]) -> Clause:
    """Products whose colour belongs to one of ``families``.

    The shop's label is the authority: ``colour_family`` (normalised from the label) is what the
    shopper reads on the product page, while ``image_colour_family`` (the dominant colour seen in
    the photo) is noisy: a red sneaker with a white sole on a grey floor may be seen as white or
    grey. So a product matches when its label family matches, or, only when it has no label
    family at all (unknown or unmappable label), when its image family matches. A plain OR of
    both fields would let photo noise override the label.
    """
    values = list(families)
    return {
        "bool": {
            "should": [
                {"terms": {COLOUR_FAMILY: values}},
                {
                    "bool": {
                        "must_not": [{"exists": {"field": COLOUR_FAMILY}}],
                        "filter": [{"terms": {IMAGE_COLOUR_FAMILY: values}}],
                    }
                },
            ],
            "minimum_should_match": 1,
        }
    }


def _colour(filters: Filters) -> list[Clause]:
    return [colour_clause(filters.colour_family)] if filters.colour_family else []


def _category(filters: Filters) -> list[Clause]:
    # category_path holds every prefix of the product's path, so one terms clause on it selects
    # whole subtrees: "Footwear" matches "Footwear > Sneakers" without a prefix query.
    return [{"terms": {CATEGORY_PATH: list(filters.category)}}] if filters.category else []


def _brand(filters: Filters) -> list[Clause]:
    return [{"terms": {BRAND: list(filters.brand)}}] if filters.brand else []


def _price(filters: Filters) -> list[Clause]:
    if filters.price is None:
        return []
    bounds = {
        op: value for op in ("gte", "lte") if (value := getattr(filters.price, op)) is not None
    }
    # Both bounds open means "any price": no clause rather than an empty range that ES rejects.
    return [{"range": {PRICE: bounds}}] if bounds else []


def _in_stock(filters: Filters) -> list[Clause]:
    return [] if filters.in_stock is None else [{"term": {IN_STOCK: filters.in_stock}}]


def _attributes(filters: Filters) -> list[Clause]:
    # `attributes` is a flattened field: each key is addressable as attributes.<key> and matched
    # as a keyword. Names were validated against ^[a-z0-9_]{1,40}$, so they cannot inject a path.
    return [
        {"terms": {f"{ATTRIBUTES}.{name}": list(values)}}
        for name, values in sorted(filters.attributes.items())
    ]


#: The dispatch table: one translator per filter field, applied in this (stable) order.
TRANSLATORS: Final[Mapping[FilterField, Callable[[Filters], list[Clause]]]] = {
    "colour_family": _colour,
    "category": _category,
    "brand": _brand,
    "price": _price,
    "in_stock": _in_stock,
    "attributes": _attributes,
}


def to_clauses(filters: Filters) -> list[Clause]:
    """Translate ``filters`` into filter clauses for both ``knn.filter`` and ``bool.filter``.

    Args:
        filters: a validated filter spec.

    Returns:
        One clause per set field (one per attribute name), in the dispatch table's order; an
        empty list when nothing is set.
    """
    clauses: list[Clause] = []
    for translate in TRANSLATORS.values():
        clauses.extend(translate(filters))
    return clauses


_EMPTY: Final[Mapping[str, Any]] = {
    "colour_family": [],
    "category": [],
    "brand": [],
    "price": None,
    "in_stock": None,
    "attributes": {},
}


def filters_without(filters: Filters, field: str) -> Filters:
    """A copy of ``filters`` with ``field`` cleared: what a multi-select facet counts under.

    Raises:
        InvalidFilterError: ``field`` is not a filter field.
    """
    if field not in _EMPTY:
        raise InvalidFilterError(
            f"unknown filter field {field!r}; expected one of {', '.join(_EMPTY)}"
        )
    return filters.model_copy(update={field: _EMPTY[field]})


def split_facets(filters: Filters) -> tuple[Filters, Filters]:
    """Split into ``(hard, facets)`` for multi-select faceting.

    Hard filters restrict everything; facet filters go to ``post_filter`` so that each facet's
    counts can ignore its own selection.

    Returns:
        ``hard`` keeps ``in_stock`` and ``attributes``; ``facets`` keeps :data:`FACET_FIELDS`.
        ``to_clauses(hard) + to_clauses(facets)`` equals ``to_clauses(filters)`` as a set.
    """
    hard = filters.model_copy(update={field: _EMPTY[field] for field in FACET_FIELDS})
    facet_only = {field: _EMPTY[field] for field in _EMPTY if field not in FACET_FIELDS}
    return hard, filters.model_copy(update=facet_only)


def meets(source: Mapping[str, Any] | None, filters: Filters, fields: Sequence[str]) -> bool:
    """Whether a product's source passes ``filters`` on ``fields`` (colour_family, category,
    brand, price), the way the query clauses would: a colour by its label family, or by its
    photo's family when it has no label family."""
    if not source:
        return False
    return all(_meets_field(source, filters, name) for name in fields)


def _meets_field(source: Mapping[str, Any], filters: Filters, name: str) -> bool:
    if name == "price":
        price, wanted = source.get(PRICE), filters.price
        if wanted is None:
            return True
        if not isinstance(price, int | float):
            return False
        return (wanted.gte is None or price >= wanted.gte) and (
            wanted.lte is None or price <= wanted.lte
        )
    values = set(getattr(filters, name, []) or [])
    if not values:
        return True
    if name == "colour_family":
        label = source.get(COLOUR_FAMILY)
        found = label if label else source.get(IMAGE_COLOUR_FAMILY)
    else:
        found = source.get({"category": CATEGORY_PATH, "brand": BRAND}[name])
    have = set(found) if isinstance(found, list) else {found}
    return bool(have & values)

"""Multi-select facet aggregations: colour family, category, brand and price.

What runs (:func:`hybrid.query.plan.facet_body`): one ``size: 0`` body per search round, beside
the legs in the same ``_msearch``. Its query is what the legs can return (BM25 matches or the
nearest products by image vector) under the *hard* filters only; each facet's aggregation is
then filtered by all the *other* ticked facets, so ticking "red" still shows how many blue
products there are. The hits themselves come from the legs, whose BM25 ``bool.filter`` and kNN
``knn.filter`` carry every filter (a ``post_filter`` would run after the ``k`` neighbours were
picked and return fewer, so none is used).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from hybrid.query.filters import Clause, colour_clause, filters_without, split_facets, to_clauses
from hybrid.query.request import Filters
from hybrid.schema import BRAND, CATEGORY, CATEGORY_PATH, PRICE
from hybrid.vocab import COLOUR_FAMILIES

DEFAULT_FACET_SIZE: Final = 20
#: Price facet buckets ``(from, to)``; ``from`` inclusive, ``to`` exclusive, None = open.
PRICE_BUCKETS: Final[tuple[tuple[float | None, float | None], ...]] = (
    (None, 25),
    (25, 50),
    (50, 100),
    (100, 200),
    (200, 500),
    (500, None),
)


def _others_filter(filters: Filters, facet: str) -> Clause:
    clauses = to_clauses(filters_without(filters, facet))
    return {"bool": {"filter": clauses}} if clauses else {"match_all": {}}


def _bound(value: float | None) -> str:
    return "*" if value is None else f"{value:g}"


def _price_ranges(buckets: Sequence[tuple[float | None, float | None]]) -> list[dict[str, Any]]:
    ranges = []
    for low, high in buckets:
        bucket: dict[str, Any] = {"key": f"{_bound(low)}-{_bound(high)}"}
        if low is not None:
            bucket["from"] = low
        if high is not None:
            bucket["to"] = high
        ranges.append(bucket)
    return ranges


def _selected_terms(field: str, values: Sequence[str]) -> dict[str, Any]:
    """Counts of exactly ``values`` (zero counts too): the ticked facet values."""
    return {
        "terms": {"field": field, "include": list(values), "size": len(values), "min_doc_count": 0}
    }


def facet_aggs(
    filters: Filters,
    *,
    size: int = DEFAULT_FACET_SIZE,
    price_buckets: Sequence[tuple[float | None, float | None]] = PRICE_BUCKETS,
) -> dict[str, Any]:
    """Multi-select facet aggregations, each filtered by every *other* facet filter.

    The colour facet is a ``filters`` aggregation with one bucket per family, each using the
    colour filter itself, so a count equals the hits the shopper gets by ticking that family
    (label family, else image family); a ``terms`` on ``colour_family`` would miss products
    known only by their image. The category facet counts leaf categories (``values``) and every
    level of the tree (``paths``). Hard filters are not repeated here: they are in the query.

    A ticked brand or category may fall outside the top ``size`` buckets (or match nothing any
    more); a ``selected`` terms aggregation restricted to the ticked values counts them anyway,
    zero included, so the shopper can always see and untick them.

    Returns:
        ``{"colour_family"|"category"|"brand"|"price": {"filter": ..., "aggs": {...}}}``;
        buckets are under ``aggregations.<facet>.values`` (and ``.paths`` for categories, and
        ``.selected`` for ticked brands and categories).
    """
    _, facets = split_facets(filters)
    by_family = {family: colour_clause([family]) for family in COLOUR_FAMILIES}
    inner: dict[str, dict[str, Any]] = {
        "colour_family": {"values": {"filters": {"filters": by_family}}},
        "category": {
            "values": {"terms": {"field": CATEGORY, "size": size}},
            "paths": {"terms": {"field": CATEGORY_PATH, "size": size}},
        },
        "brand": {"values": {"terms": {"field": BRAND, "size": size}}},
        "price": {"values": {"range": {"field": PRICE, "ranges": _price_ranges(price_buckets)}}},
    }
    for facet, field in (("category", CATEGORY_PATH), ("brand", BRAND)):
        ticked: list[str] = getattr(facets, facet)
        if ticked:
            inner[facet]["selected"] = _selected_terms(field, ticked)
    return {
        facet: {"filter": _others_filter(facets, facet), "aggs": aggs}
        for facet, aggs in inner.items()
    }

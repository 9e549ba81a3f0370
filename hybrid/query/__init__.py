"""Pure query building: the search request, filters, request bodies, fusion, understanding.

Nothing here talks to Elasticsearch (that is :mod:`hybrid.es`); every function returns plain
values or dicts, so it is unit-tested by comparing dicts.

* :mod:`~hybrid.query.legs` - the leg names (field names live in :mod:`hybrid.schema`).
* :mod:`~hybrid.query.request` - :class:`SearchRequest`, the one validated request.
* :mod:`~hybrid.query.filters` - :class:`Filters` -> filter clauses (dispatch table).
* :mod:`~hybrid.query.builders` - BM25, kNN and single-request bodies.
* :mod:`~hybrid.query.facets` - multi-select facet aggregations.
* :mod:`~hybrid.query.plan` - one round's ``_msearch`` bodies: legs, relaxation step, facets.
* :mod:`~hybrid.query.fusion` - RRF and linear fusion in our code, cut-offs, plug-in registry.
* :mod:`~hybrid.query.vocabulary` / :mod:`~hybrid.query.understanding` - colours, categories
  and brands named in the text, applied as boosts or filters, with relaxation.
"""

from hybrid.query.request import (
    DEFAULT_FUSION_METHOD,
    Filters,
    FusionSpec,
    PriceRange,
    SearchRequest,
    parse_request,
)

__all__ = [
    "DEFAULT_FUSION_METHOD",
    "Filters",
    "FusionSpec",
    "PriceRange",
    "SearchRequest",
    "parse_request",
]

"""Shaping fused hits into an Elasticsearch ``_search``-like response, with explanations."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from hybrid.query.fusion import FusedHit, LegHit
from hybrid.query.request import Filters, SearchRequest
from hybrid.query.understanding import UnderstandingReport


def page_of(hits: Sequence[FusedHit], request: SearchRequest) -> list[FusedHit]:
    """The requested page: by ``page``/``size``, or after the ``search_after`` ``[score, id]``."""
    if request.search_after:
        last_id = str(request.search_after[-1])
        ids = [hit.id for hit in hits]
        start = ids.index(last_id) + 1 if last_id in ids else len(hits)
        return list(hits[start : start + request.size])
    return list(hits[request.offset : request.offset + request.size])


def finite(value: float | None) -> float | None:
    """``value``, or None (JSON ``null``, as Elasticsearch writes a missing score) when it is
    NaN or infinite: JSON has neither, and the encoder would fail the whole response."""
    return value if value is not None and math.isfinite(value) else None


def explanation(
    hit: FusedHit, request: SearchRequest, *, filters: Filters, relaxed: Sequence[str]
) -> dict[str, Any]:
    """Why this hit scored what it did: each leg's rank and raw score, normalised, weighted."""
    return {
        "method": request.fusion.method,
        "score": finite(hit.score),
        "legs": {
            leg: {
                "rank": c.rank,
                "raw_score": finite(c.raw_score),
                "normalised": finite(c.normalised),
                "weighted": finite(c.weighted),
            }
            for leg, c in hit.contributions.items()
        },
        "bonus": finite(hit.bonus),
        "filters": {
            "applied": filters.model_dump(mode="json", exclude_defaults=True),
            "relaxed": list(relaxed),
        },
    }


def _facets(aggregations: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if aggregations is None:
        return None
    facets: dict[str, Any] = {}
    for name, agg in aggregations.items():
        values = agg.get("values", {}).get("buckets", [])
        if isinstance(values, dict):  # the colour facet is a keyed ``filters`` aggregation
            values = [{"key": key, "doc_count": b["doc_count"]} for key, b in values.items()]
        facets[name] = {"buckets": [b for b in values if b.get("doc_count", 0) > 0]}
        if "paths" in agg:
            facets[name]["paths"] = agg["paths"]["buckets"]
        if "selected" in agg:
            _list_selected(facets[name], agg["selected"]["buckets"])
    return facets


def _list_selected(facet: dict[str, Any], selected: list[dict[str, Any]]) -> None:
    """Mark ticked values, and add those the top buckets left out (category ones go to
    ``paths``, which holds every level of the tree)."""
    target = facet["paths"] if "paths" in facet else facet["buckets"]
    ticked = {bucket["key"]: bucket for bucket in selected}
    for bucket in target:
        if bucket["key"] in ticked:
            bucket["selected"] = True
            del ticked[bucket["key"]]
    target.extend({**bucket, "selected": True} for bucket in ticked.values())


def build_response(
    request: SearchRequest,
    fused: Sequence[FusedHit],
    aggregations: Mapping[str, Any] | None,
    *,
    alias: str,
    took: int,
    report: UnderstandingReport,
    legs: Mapping[str, Sequence[LegHit]],
    filters: Filters,
) -> dict[str, Any]:
    """The response: ``hits.hits[]`` with ``_id``, ``_score``, ``_source`` (and
    ``_explanation`` when asked), facets, what was understood and relaxed, and the legs' sizes."""
    page = page_of(fused, request)
    hits = []
    for hit in page:
        item: dict[str, Any] = {
            "_index": alias,
            "_id": hit.id,
            "_score": finite(hit.score),
            "_source": dict(hit.source or {}),
        }
        if request.explain:
            item["_explanation"] = explanation(
                hit, request, filters=filters, relaxed=report.relaxed
            )
        hits.append(item)
    response: dict[str, Any] = {
        "took": took,
        "timed_out": False,
        "hits": {
            "total": {"value": len(fused), "relation": "gte"},
            "max_score": finite(fused[0].score) if fused else None,
            "hits": hits,
        },
        "understanding": report.model_dump(mode="json"),
        "fusion": {
            "method": request.fusion.method,
            "legs": {leg: len(leg_list) for leg, leg_list in legs.items()},
        },
    }
    if page:
        response["next_search_after"] = [finite(page[-1].score), page[-1].id]
    facets = _facets(aggregations)
    if facets is not None:
        response["aggregations"] = facets
    return response

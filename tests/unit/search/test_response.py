"""hybrid.search.response: paging, the _search shape, explanations, facet buckets."""

from __future__ import annotations

import json
import math

from hybrid.query.fusion import Contribution, FusedHit
from hybrid.query.request import Filters, SearchRequest
from hybrid.query.understanding import UnderstandingReport
from hybrid.search.response import _facets, build_response, page_of


def _fused(n: int) -> list[FusedHit]:
    return [
        FusedHit(
            f"p{i}",
            1.0 / i,
            {"bm25": Contribution(i, 10.0 / i, 1.0 / i, 1.0 / i)},
            {"title": f"t{i}"},
        )
        for i in range(1, n + 1)
    ]


def test_pages_and_search_after_walk_the_fused_list() -> None:
    hits = _fused(7)
    second = page_of(hits, SearchRequest(text="x", size=3, page=2))
    assert [h.id for h in second] == ["p4", "p5", "p6"]
    after = page_of(hits, SearchRequest(text="x", size=3, search_after=[0.25, "p4"]))
    assert [h.id for h in after] == ["p5", "p6", "p7"]


def test_response_is_search_shaped_and_explains_each_leg() -> None:
    request = SearchRequest(text="x", size=2, explain=True)
    response = build_response(
        request,
        _fused(3),
        None,
        alias="products",
        took=5,
        report=UnderstandingReport(mode="boost"),
        legs={"bm25": []},
        filters=Filters(colour_family=["red"]),
    )
    hits = response["hits"]["hits"]
    assert [h["_id"] for h in hits] == ["p1", "p2"]
    assert hits[0]["_source"] == {"title": "t1"}
    legs = hits[1]["_explanation"]["legs"]
    assert legs["bm25"] == {"rank": 2, "raw_score": 5.0, "normalised": 0.5, "weighted": 0.5}
    assert hits[0]["_explanation"]["filters"]["applied"] == {"colour_family": ["red"]}
    assert response["hits"]["total"]["value"] == 3
    assert response["next_search_after"] == [0.5, "p2"]


def test_ticked_facet_values_are_listed_even_outside_the_top_buckets() -> None:
    aggregations = {
        "brand": {
            "values": {
                "buckets": [{"key": "Aster", "doc_count": 9}, {"key": "Velora", "doc_count": 4}]
            },
            "selected": {
                "buckets": [{"key": "Velora", "doc_count": 4}, {"key": "Kiro", "doc_count": 0}]
            },
        },
        "category": {
            "values": {"buckets": [{"key": "Footwear > Boots", "doc_count": 3}]},
            "paths": {"buckets": [{"key": "Footwear", "doc_count": 3}]},
            "selected": {"buckets": [{"key": "Home", "doc_count": 1}]},
        },
    }
    facets = _facets(aggregations)
    assert facets is not None
    assert facets["brand"]["buckets"] == [
        {"key": "Aster", "doc_count": 9},
        {"key": "Velora", "doc_count": 4, "selected": True},
        {"key": "Kiro", "doc_count": 0, "selected": True},
    ]
    assert facets["category"]["buckets"] == [{"key": "Footwear > Boots", "doc_count": 3}]
    assert facets["category"]["paths"][-1] == {"key": "Home", "doc_count": 1, "selected": True}


def test_non_finite_scores_never_reach_the_encoder() -> None:
    hits = [
        FusedHit("inf", math.inf, {"bm25": Contribution(1, math.nan, math.inf, math.inf)}, {}),
        FusedHit("ok", 0.5, {"bm25": Contribution(2, 3.0, 0.5, 0.5)}, {}),
    ]
    response = build_response(
        SearchRequest(text="x", explain=True),
        hits,
        None,
        alias="products",
        took=1,
        report=UnderstandingReport(mode="boost"),
        legs={"bm25": []},
        filters=Filters(),
    )
    json.dumps(response, allow_nan=False)  # what the API's encoder does: raises on NaN/inf
    first = response["hits"]["hits"][0]
    assert (first["_score"], response["hits"]["max_score"]) == (None, None)
    assert first["_explanation"]["legs"]["bm25"]["raw_score"] is None
    assert response["hits"]["hits"][1]["_score"] == 0.5

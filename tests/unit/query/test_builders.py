"""Request bodies: BM25, kNN, single-request hybrid, collapse and search_after."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hybrid.query.builders import (
    DEFAULT_MINIMUM_SHOULD_MATCH,
    bm25_body,
    knn_body,
    knn_clause,
    num_candidates_for,
    single_request_body,
)
from hybrid.query.filters import colour_clause, to_clauses
from hybrid.query.request import Filters, PriceRange

SOURCE = {"exclude_vectors": True}
FIELDS = ["title^3", "brand.text^2", "category_text^2", "colour.text^2", "description^1"]
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


def test_bm25_body() -> None:
    clauses = to_clauses(FILTERS)
    assert bm25_body("red sneakers", clauses, size=100) == {
        "query": {
            "bool": {
                "must": [
                    {
                        "dis_max": {
                            "queries": [
                                {
                                    "multi_match": {
                                        "query": "red sneakers",
                                        "type": "cross_fields",
                                        "fields": FIELDS,
                                        "operator": "or",
                                        "minimum_should_match": DEFAULT_MINIMUM_SHOULD_MATCH,
                                    }
                                },
                                {
                                    "multi_match": {
                                        "query": "red sneakers",
                                        "type": "best_fields",
                                        "fields": FIELDS,
                                        "operator": "or",
                                        "fuzziness": "AUTO:5,8",
                                        "prefix_length": 1,
                                        "max_expansions": 20,
                                        "boost": 0.5,
                                        "minimum_should_match": DEFAULT_MINIMUM_SHOULD_MATCH,
                                    }
                                },
                                {
                                    "multi_match": {
                                        "query": "red sneakers",
                                        "type": "cross_fields",
                                        "fields": FIELDS,
                                        "operator": "or",
                                        "minimum_should_match": "1<-1 3<-34%",
                                        "boost": 0.2,
                                    }
                                },
                            ]
                        }
                    }
                ],
                "filter": clauses,
            }
        },
        "size": 100,
        "_source": SOURCE,
    }


def test_bm25_options() -> None:
    should = [{"terms": {"colour_family": ["red"], "boost": 2.0}}]
    body = bm25_body("x", [], size=10, boosts={"title": 1.5}, should=should)
    assert body["query"]["bool"]["should"] == should
    for clause in body["query"]["bool"]["must"][0]["dis_max"]["queries"]:
        assert clause["multi_match"]["fields"] == ["title^1.5"]


def test_query_syntax_stays_plain_text_in_multi_match() -> None:
    text = 'title:foo OR (bar AND "baz* \\ {"script": 1}'
    body = bm25_body(text, [], size=10)
    for clause in body["query"]["bool"]["must"][0]["dis_max"]["queries"]:
        assert clause["multi_match"]["query"] == text
    serialised = json.dumps(body)
    assert "query_string" not in serialised
    assert "simple_query_string" not in serialised


def test_bm25_rejects_blank_text() -> None:
    with pytest.raises(ValueError, match="non-empty text"):
        bm25_body("  ", [], size=10)


def test_knn_body() -> None:
    clauses = to_clauses(FILTERS)
    assert knn_body(
        "image_vector", np.array([0.5, -0.25], dtype=np.float32), clauses, k=50, num_candidates=500
    ) == {
        "knn": {
            "field": "image_vector",
            "query_vector": [0.5, -0.25],
            "k": 50,
            "num_candidates": 500,
            "filter": clauses,
        },
        "size": 50,
        "_source": SOURCE,
    }


def test_knn_clause_options_and_checks() -> None:
    clause = knn_clause("text_vector", [1.0], [], k=1, num_candidates=100, boost=2)
    assert clause["boost"] == 2
    with pytest.raises(ValueError, match="NaN"):
        knn_clause("text_vector", [float("nan")], [], k=1, num_candidates=100)
    with pytest.raises(ValueError, match="num_candidates"):
        knn_clause("text_vector", [1.0], [], k=200, num_candidates=100)


def test_quantized_knn_asks_elasticsearch_to_rescore_on_full_precision_vectors() -> None:
    assert "rescore_vector" not in knn_clause("image_vector", [1.0], [], k=10, num_candidates=100)
    body = knn_body("image_vector", [1.0], [], k=10, num_candidates=100, oversample=2.0)
    assert body["knn"]["rescore_vector"] == {"oversample": 2.0}
    single = single_request_body(
        "red",
        {"image_vector": [1.0], "text_vector": [0.5]},
        [],
        size=10,
        weights={},
        k=10,
        num_candidates=100,
        oversample=3.0,
    )
    assert [clause["rescore_vector"] for clause in single["knn"]] == [{"oversample": 3.0}] * 2
    for bad in (0.5, 11.0):
        with pytest.raises(ValueError, match="oversample"):
            knn_clause("image_vector", [1.0], [], k=10, num_candidates=100, oversample=bad)


def test_the_same_filters_reach_knn_and_bm25() -> None:
    clauses = to_clauses(FILTERS)
    bm25 = bm25_body("red sneakers", clauses, size=10)
    knn = knn_body("image_vector", [1.0, 0.0], clauses, k=10, num_candidates=100)
    assert bm25["query"]["bool"]["filter"] == knn["knn"]["filter"] == [RED, BRAND, PRICE, STOCK]


@pytest.mark.parametrize(
    ("k", "cap", "expected"),
    [
        (5, 1000, 100),
        (10, 1000, 100),
        (50, 1000, 100),
        (200, 1000, 400),
        (600, 1000, 1000),
        (300, 200, 300),
        (6000, 20000, 10000),
    ],
)
def test_num_candidates(k: int, cap: int, expected: int) -> None:
    assert num_candidates_for(k, cap=cap) == expected


@pytest.mark.parametrize(
    ("docs", "share", "cap", "expected"),
    [
        (0, 0.001, 1000, 200),  # unknown size: the floor max(2k, 100)
        (2_000, 0.001, 1000, 200),  # small index: the floor
        (500_000, 0.001, 1000, 500),
        (1_000_000, 0.001, 1000, 1000),
        (5_000_000, 0.001, 1000, 1000),  # the operator's cap
        (5_000_000, 0.001, 20_000, 5000),
        (50_000_000, 0.001, 20_000, 10_000),  # Elasticsearch's limit
        (1_000_000, 0.0, 1000, 200),  # share 0: fixed
        (1_234, 0.5, 1000, 617),  # rounded up
    ],
)
def test_num_candidates_grow_with_the_index(
    docs: int, share: float, cap: int, expected: int
) -> None:
    assert num_candidates_for(100, cap=cap, docs=docs, share=share) == expected


def test_num_candidates_refuse_a_negative_size_or_share() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        num_candidates_for(10, cap=1000, docs=-1, share=0.001)
    with pytest.raises(ValueError, match=">= 0"):
        num_candidates_for(10, cap=1000, docs=10, share=-0.1)


def test_single_request_sums_legs_with_weights_as_boosts() -> None:
    body = single_request_body(
        "red sneakers",
        {"image_vector": [1.0, 0.0], "text_vector": [0.0, 1.0]},
        [BRAND],
        size=10,
        weights={"bm25": 0.5, "image_knn": 2.0},
        k=20,
        num_candidates=200,
    )
    assert body["knn"] == [
        {
            "field": "image_vector",
            "query_vector": [1.0, 0.0],
            "k": 20,
            "num_candidates": 200,
            "filter": [BRAND],
            "boost": 2.0,
        },
        {
            "field": "text_vector",
            "query_vector": [0.0, 1.0],
            "k": 20,
            "num_candidates": 200,
            "filter": [BRAND],
            "boost": 1.0,
        },
    ]
    assert body["query"]["bool"]["boost"] == 0.5
    assert body["query"]["bool"]["filter"] == [BRAND]
    assert (body["size"], body["_source"]) == (10, SOURCE)


def test_single_request_leaves_out_zero_weight_legs() -> None:
    body = single_request_body(
        "red",
        {"image_vector": [1.0], "text_vector": [1.0]},
        [],
        size=10,
        weights={"bm25": 0.0, "text_knn": 0.0},
        k=10,
        num_candidates=100,
    )
    assert "query" not in body
    assert [c["field"] for c in body["knn"]] == ["image_vector"]
    with pytest.raises(ValueError, match="no leg"):
        single_request_body(None, {}, [], size=10, weights={}, k=10, num_candidates=100)
    with pytest.raises(ValueError, match="unknown vector field"):
        single_request_body(None, {"vec": [1.0]}, [], size=10, weights={}, k=10, num_candidates=100)

"""SearchService through its one injection point: the bodies it sends, asserted as dicts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from support.fakes import HashEmbedder, RecordingGateway, hits

from hybrid.query.filters import to_clauses
from hybrid.query.fusion import FusedHit
from hybrid.query.request import Filters, SearchRequest
from hybrid.search.service import SearchService
from hybrid.settings import Settings

VOCABULARY = {
    "colours": ["red", "burgundy", "blue"],
    "categories": ["Footwear > Sneakers", "Bags > Handbags"],
    "brands": ["Velora"],
}


def _service(gateway: RecordingGateway, **settings: Any) -> SearchService:
    configured = Settings(index_alias="products", vector_index_type="hnsw", **settings)
    return SearchService(configured, gateway=gateway, embedder=HashEmbedder())


def test_hybrid_sends_bm25_and_both_knn_legs_with_the_same_filters_in_one_round() -> None:
    gateway = RecordingGateway(vocabulary=VOCABULARY)
    filters = Filters(brand=["Velora"], in_stock=True)
    request = SearchRequest(text="comfy shoes", filters=filters, understanding="off")
    _service(gateway).search(request)
    assert len(gateway.rounds) == 1
    bm25, image_knn, text_knn, facets = gateway.rounds[0]
    clauses = to_clauses(filters)
    assert bm25["query"]["bool"]["filter"] == clauses
    text = bm25["query"]["bool"]["must"][0]["dis_max"]["queries"][0]
    assert text["multi_match"]["query"] == "comfy shoes"
    for body, field in ((image_knn, "image_vector"), (text_knn, "text_vector")):
        knn = body["knn"]
        assert (knn["field"], knn["filter"], knn["k"]) == (field, clauses, 100)
        assert knn["num_candidates"] == 200  # max(k * 2, 100)
        assert "rescore_vector" not in knn  # hnsw is not quantized
    assert facets["size"] == 0 and "aggs" in facets


def test_quantized_indices_ask_elasticsearch_to_rescore() -> None:
    gateway = RecordingGateway()
    settings = Settings(index_alias="products", vector_index_type="int8_hnsw")
    service = SearchService(settings, gateway=gateway, embedder=HashEmbedder())
    service.search(SearchRequest(text="shoes", legs=frozenset({"image_knn"}), facets=False))
    (body,) = gateway.rounds[0]
    assert body["knn"]["rescore_vector"] == {"oversample": settings.rescore_oversample}


def test_bm25_only_sends_no_vector_and_never_calls_the_model() -> None:
    gateway = RecordingGateway()
    embedder = HashEmbedder()
    settings = Settings(index_alias="products")
    service = SearchService(settings, gateway=gateway, embedder=embedder)
    service.search(SearchRequest(text="shoes", legs=frozenset({"bm25"}), facets=False))
    assert [list(body) for body in gateway.rounds[0]] == [["query", "size", "_source"]]
    assert embedder.text_calls == 0


def test_an_understood_filter_that_empties_the_page_is_relaxed_in_a_second_round() -> None:
    def respond(body: dict[str, Any]) -> dict[str, Any]:
        # Nothing passes the understood colour filter; without it, one product is found.
        if "colour_family" in str(body):
            return hits()
        return hits(("p1", 1.0), colour_family="blue")

    gateway = RecordingGateway(vocabulary=VOCABULARY, respond=respond)
    request = SearchRequest(text="red sneakers", understanding="filter", facets=False)
    response = _service(gateway).search(request)
    assert len(gateway.rounds) >= 2
    first, last = gateway.rounds[0][0], gateway.rounds[-1][0]
    assert "colour_family" in str(first["query"]["bool"]["filter"])
    assert "colour_family" not in str(last["query"]["bool"]["filter"])
    assert [hit["_id"] for hit in response["hits"]["hits"]] == ["p1"]
    assert "colour_family" in response["understanding"]["relaxed"]


def test_the_single_request_fusion_sends_one_body() -> None:
    gateway = RecordingGateway()
    request = SearchRequest(text="shoes", fusion={"method": "single"}, facets=False)
    _service(gateway).search(request)
    (body,) = gateway.rounds[0]
    assert {"query", "knn"} <= set(body)


def test_min_bm25_score_drops_weak_bm25_hits_before_fusion() -> None:
    def respond(body: dict[str, Any]) -> dict[str, Any]:
        return hits(("strong", 9.0), ("weak", 1.0)) if "query" in body else hits()

    gateway = RecordingGateway(respond=respond)
    request = SearchRequest(
        text="shoes",
        legs=frozenset({"bm25"}),
        fusion={"method": "rrf", "min_bm25_score": 5.0},
        facets=False,
    )
    response = _service(gateway).search(request)
    assert [hit["_id"] for hit in response["hits"]["hits"]] == ["strong"]


class ReverseTop:
    """A reranker that reverses the top of the fused list."""

    def __init__(self) -> None:
        self.seen: list[list[str]] = []

    def __call__(self, request: SearchRequest, hits: Sequence[FusedHit]) -> list[FusedHit]:
        self.seen.append([hit.id for hit in hits])
        return list(reversed(hits))


def test_the_reranker_reorders_the_top_fused_hits_only() -> None:
    gateway = RecordingGateway(respond=lambda body: hits(("a", 3.0), ("b", 2.0), ("c", 1.0)))
    reranker = ReverseTop()
    settings = Settings(index_alias="products", rerank_window=2)
    service = SearchService(settings, gateway=gateway, embedder=HashEmbedder(), reranker=reranker)
    request = SearchRequest(text="shoes", legs=frozenset({"bm25"}), facets=False)
    response = service.search(request)
    assert reranker.seen == [["a", "b"]]
    assert [hit["_id"] for hit in response["hits"]["hits"]] == ["b", "a", "c"]


def test_an_unknown_product_for_more_like_this_is_not_found() -> None:
    from hybrid.errors import ProductNotFoundError

    with pytest.raises(ProductNotFoundError, match="sku-404"):
        _service(RecordingGateway()).search(SearchRequest(product_id="sku-404"))

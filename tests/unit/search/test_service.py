"""SearchService through its one injection point: the bodies it sends, asserted as dicts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from support.fakes import HashEmbedder, RecordingGateway, hits

from hybrid.errors import InvalidRequestError, SearchUnavailableError
from hybrid.query.filters import to_clauses
from hybrid.query.fusion import FusedHit
from hybrid.query.request import Filters, SearchRequest
from hybrid.search.service import SearchService
from hybrid.settings import MINILM_MODEL, Settings

VOCABULARY = {
    "colours": ["red", "burgundy", "blue"],
    "categories": ["Footwear > Sneakers", "Bags > Handbags"],
    "brands": ["Velora"],
}


def _service(gateway: RecordingGateway, **settings: Any) -> SearchService:
    settings.setdefault("text_model", MINILM_MODEL)  # the leg on, its model a fake
    configured = Settings(index_alias="products", vector_index_type="hnsw", **settings)
    return SearchService(
        configured, gateway=gateway, embedder=HashEmbedder(), text_embedder=HashEmbedder(dims=4)
    )


def test_hybrid_sends_bm25_and_every_knn_leg_with_the_same_filters_in_one_round() -> None:
    gateway = RecordingGateway(vocabulary=VOCABULARY)
    filters = Filters(brand=["Velora"], in_stock=True)
    request = SearchRequest(text="comfy shoes", filters=filters, understanding="off")
    _service(gateway).search(request)
    assert len(gateway.rounds) == 1
    bm25, image_knn, text_knn, text_model_knn, facets = gateway.rounds[0]
    clauses = to_clauses(filters)
    assert bm25["query"]["bool"]["filter"] == clauses
    text = bm25["query"]["bool"]["must"][0]["dis_max"]["queries"][0]
    assert text["multi_match"]["query"] == "comfy shoes"
    legs = [(image_knn, "image_vector"), (text_knn, "text_vector")]
    for body, field in [*legs, (text_model_knn, "text_model_vector")]:
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


def test_knn_candidates_grow_with_the_index_and_its_size_is_read_once_per_ttl() -> None:
    gateway = RecordingGateway(docs=700_000)
    service = _service(gateway, knn_candidate_share=0.001, vocabulary_ttl=3600)
    request = SearchRequest(
        text="shoes", legs=frozenset({"image_knn"}), facets=False, understanding="off"
    )
    service.search(request)
    gateway.docs = 5_000_000  # grew, but the cached size holds until the ttl passes
    service.search(request)
    assert [r[0]["knn"]["num_candidates"] for r in gateway.rounds] == [700, 700]
    assert gateway.doc_counts == 1
    fresh = _service(gateway, knn_candidate_share=0.001, vocabulary_ttl=3600)
    fresh.search(request)
    assert gateway.rounds[-1][0]["knn"]["num_candidates"] == 1000  # max_num_candidates


def test_a_failed_count_keeps_the_last_one_and_never_fails_the_search() -> None:
    gateway = RecordingGateway(docs=SearchUnavailableError("count timed out"))
    service = _service(gateway, knn_candidate_share=0.001, vocabulary_ttl=1e-9)
    request = SearchRequest(
        text="shoes", legs=frozenset({"image_knn"}), facets=False, understanding="off"
    )
    service.search(request)  # no count yet: the floor
    gateway.docs = 700_000
    service.search(request)
    gateway.docs = SearchUnavailableError("count timed out")
    service.search(request)  # the last count stands
    assert [r[0]["knn"]["num_candidates"] for r in gateway.rounds] == [200, 700, 700]
    assert gateway.doc_counts == 3


def test_a_search_without_knn_legs_never_counts() -> None:
    gateway = RecordingGateway(docs=5_000_000)
    _service(gateway).search(SearchRequest(text="shoes", legs=frozenset({"bm25"})))
    assert gateway.doc_counts == 0


def test_with_no_candidate_share_the_index_size_is_never_read() -> None:
    gateway = RecordingGateway(docs=5_000_000)
    service = _service(gateway, knn_candidate_share=0.0)
    service.search(SearchRequest(text="shoes", legs=frozenset({"image_knn"}), facets=False))
    assert gateway.rounds[0][0]["knn"]["num_candidates"] == 200
    assert gateway.doc_counts == 0


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
        searched = {key: value for key, value in body.items() if key != "_source"}
        if "colour_family" in str(searched):
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


def test_after_a_relaxation_the_products_still_meeting_it_come_first() -> None:
    def respond(body: dict[str, Any]) -> dict[str, Any]:
        knn = body.get("knn", {})
        filters = knn.get("filter") if knn else body.get("query", {}).get("bool", {}).get("filter")
        if "colour_family" in str(filters):
            return hits(("red1", 1.0), colour_family="red")  # one red product: too few
        blue = hits(("blue1", 9.0), ("blue2", 8.0), colour_family="blue")
        red = hits(("red1", 1.0), colour_family="red")
        blue["hits"]["hits"] += red["hits"]["hits"]
        return blue

    gateway = RecordingGateway(vocabulary=VOCABULARY, respond=respond)
    request = SearchRequest(text="red sneakers", understanding="filter", facets=False, size=3)
    response = _service(gateway).search(request)
    assert response["understanding"]["relaxed"] == ["colour_family"]
    # Relaxed visibly, and the red one is still first: the dropped requirement is favoured.
    assert [hit["_id"] for hit in response["hits"]["hits"]] == ["red1", "blue1", "blue2"]


def test_a_leaf_with_too_few_hits_is_widened_on_every_leg_before_it_is_dropped() -> None:
    def respond(body: dict[str, Any]) -> dict[str, Any]:
        knn = body.get("knn", {})
        filters = str(knn.get("filter") if knn else body.get("query", {}).get("bool", {}))
        if "Footwear > Sneakers" in filters:
            return hits(("sneaker", 1.0), category_path=["Footwear", "Footwear > Sneakers"])
        if "Footwear" in filters:  # widened: the sneaker and a boot
            boot = hits(("boot", 9.0), category_path=["Footwear", "Footwear > Boots"])
            sneaker = hits(("sneaker", 1.0), category_path=["Footwear", "Footwear > Sneakers"])
            boot["hits"]["hits"] += sneaker["hits"]["hits"]
            return boot
        return hits(("mug", 20.0), category_path=["Home", "Home > Mugs"])

    gateway = RecordingGateway(vocabulary=VOCABULARY, respond=respond)
    request = SearchRequest(text="sneakers", understanding="filter", facets=False, size=2)
    response = _service(gateway).search(request)
    assert len(gateway.rounds) == 2  # the leaf, then its top level; never the drop
    widened = to_clauses(Filters(category=["Footwear"]))
    for body in gateway.rounds[1]:
        knn = body.get("knn")
        assert (knn["filter"] if knn else body["query"]["bool"]["filter"]) == widened
    assert [hit["_id"] for hit in response["hits"]["hits"]] == ["sneaker", "boot"]
    report = response["understanding"]
    assert report["relaxed"] == ["category"]
    assert report["widened"] == {"Footwear > Sneakers": "Footwear"}
    assert "category 'Footwear > Sneakers' widened to 'Footwear': too few hits" in report["notes"]


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
        self.titles: list[list[str]] = []

    def __call__(self, request: SearchRequest, hits: Sequence[FusedHit]) -> list[FusedHit]:
        self.seen.append([hit.id for hit in hits])
        self.titles.append([str((hit.source or {}).get("title")) for hit in hits])
        return list(reversed(hits))


def test_the_reranker_reorders_the_top_fused_hits_only() -> None:
    gateway = RecordingGateway(
        respond=lambda body: hits(("a", 3.0), ("b", 2.0), ("c", 1.0), title="shoe")
    )
    reranker = ReverseTop()
    settings = Settings(index_alias="products", rerank_window=2, source_fetch="page")
    service = SearchService(settings, gateway=gateway, embedder=HashEmbedder(), reranker=reranker)
    request = SearchRequest(text="shoes", legs=frozenset({"bm25"}), facets=False)
    response = service.search(request)
    assert reranker.seen == [["a", "b"]]
    assert reranker.titles == [["shoe", "shoe"]]  # the reranker reads whole products
    assert [hit["_id"] for hit in response["hits"]["hits"]] == ["b", "a", "c"]
    read = [doc_id for ids in gateway.source_reads for doc_id in ids]
    assert sorted(read) == ["a", "b", "c"]  # each product read once


def test_with_source_fetch_page_legs_carry_fusion_fields_and_the_page_is_read_once() -> None:
    ranked = [(f"p{i}", 10.0 - i) for i in range(8)]
    gateway = RecordingGateway(
        respond=lambda body: hits(*ranked, title="boot", colour_family="red", price=30.0)
    )
    request = SearchRequest(text="boots", size=3, page=2, facets=False, understanding="off")
    response = _service(gateway, source_fetch="page").search(request)
    for body in gateway.rounds[0]:
        assert "title" not in body["_source"]["includes"]
        assert "colour_family" in body["_source"]["includes"]
    page = response["hits"]["hits"]
    assert [hit["_id"] for hit in page] == ["p3", "p4", "p5"]
    (read,) = gateway.source_reads  # one _mget, of the page only
    assert sorted(read) == ["p3", "p4", "p5"]
    assert all(hit["_source"]["title"] == "boot" for hit in page)
    assert all(hit["_source"]["price"] == 30.0 for hit in page)


def test_an_unknown_product_for_more_like_this_is_not_found() -> None:
    from hybrid.errors import ProductNotFoundError

    with pytest.raises(ProductNotFoundError, match="sku-404"):
        _service(RecordingGateway()).search(SearchRequest(product_id="sku-404"))


def test_each_search_is_logged_once_with_what_the_response_says() -> None:
    from hybrid.search.searchlog import SearchLog

    written: list[tuple[str, dict[str, Any]]] = []
    log = SearchLog("products", written.extend)
    found = hits(*((f"p{n}", 20.0 - n) for n in range(12)), colour_family="red")
    gateway = RecordingGateway(vocabulary=VOCABULARY, respond=lambda body: found)
    service = SearchService(
        Settings(index_alias="products", vector_index_type="hnsw"),
        gateway=gateway,
        embedder=HashEmbedder(),
        search_log=log,
    )
    response = service.search(SearchRequest(text="burgundy sneakers"))
    log.close()
    ((index, doc),) = written
    assert response["hits"]["hits"]
    assert index.startswith("products-searchlog-")
    assert doc["query"] == "burgundy sneakers"
    assert doc["fused_top10"] == [hit["_id"] for hit in response["hits"]["hits"]][:10]
    assert len(doc["fused_top10"]) == 10 and doc["total_hits"] == 12
    assert doc["legs"]["bm25"] == {"hits": 12, "top_score": 20.0, "top10": 10}
    assert doc["latency_ms"] == response["took"]
    assert doc["understood"] is True


def test_the_log_is_off_unless_the_settings_turn_it_on() -> None:
    gateway = RecordingGateway()
    off = SearchService(Settings(index_alias="products"), gateway=gateway, embedder=HashEmbedder())
    assert off.search_log is None
    on = SearchService(
        Settings(index_alias="products", search_log=True, es_url="http://127.0.0.1:9"),
        gateway=gateway,
        embedder=HashEmbedder(),
    )
    assert on.search_log is not None and on.search_log.alias == "products"


def test_with_source_fetch_legs_the_legs_carry_whole_products_and_nothing_is_read_after() -> None:
    gateway = RecordingGateway(respond=lambda body: hits(("a", 2.0), ("b", 1.0), title="boot"))
    service = _service(gateway, source_fetch="legs")
    response = service.search(SearchRequest(text="boots", facets=False, understanding="off"))
    assert all(body["_source"] == {"exclude_vectors": True} for body in gateway.rounds[0])
    assert gateway.source_reads == []
    assert [hit["_source"]["title"] for hit in response["hits"]["hits"]] == ["boot", "boot"]


def test_with_the_text_model_off_its_leg_is_not_sent() -> None:
    gateway = RecordingGateway(vocabulary=VOCABULARY)
    service = _service(gateway, text_model="off")
    service.search(SearchRequest(text="comfy shoes", understanding="off", facets=False))
    fields = [body["knn"]["field"] for body in gateway.rounds[0] if "knn" in body]
    assert fields == ["image_vector", "text_vector"]


def test_the_text_model_leg_alone_without_a_text_model_is_refused() -> None:
    service = _service(RecordingGateway(vocabulary=VOCABULARY), text_model="off")
    with pytest.raises(InvalidRequestError, match="HYBRID_TEXT_MODEL is off"):
        service.search(SearchRequest(text="comfy shoes", legs=frozenset({"text_model_knn"})))

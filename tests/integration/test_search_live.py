"""The search executor on a real, quantized Elasticsearch index: rescoring and model calls."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from elasticsearch import Elasticsearch
from support.catalogue import index_demo_products
from support.fakes import CountingEmbedder

from hybrid import es as es_ops
from hybrid.embedding import get_embedder
from hybrid.query.request import SearchRequest
from hybrid.search import SearchService
from hybrid.search.gateway import ElasticsearchGateway
from hybrid.settings import Settings


@pytest.fixture
def indexed(settings: Settings, es: Elasticsearch, test_images: Path) -> Settings:
    """40 demo products in this test's int8_hnsw index (the default type), written inline."""
    assert settings.vector_index_type == "int8_hnsw"
    index_demo_products(settings, es, test_images, 40, seed=5)
    return settings


def test_knn_scores_on_a_quantized_index_are_exact_cosines(
    indexed: Settings, es: Elasticsearch
) -> None:
    service = SearchService(indexed, gateway=ElasticsearchGateway(es, indexed.index_alias))
    assert service.oversample == indexed.rescore_oversample > 0
    request = SearchRequest(
        text="red trainers",
        legs=frozenset({"image_knn"}),
        size=10,
        understanding="off",
        explain=True,
    )
    hits = service.search(request)["hits"]["hits"]
    assert len(hits) == 10
    query = service.encoder.text("red trainers")
    stored = es_ops.stored_vectors(es, indexed.index_alias, [hit["_id"] for hit in hits])
    for hit in hits:
        vector = np.asarray(stored[hit["_id"]]["image_vector"], dtype=np.float64)
        cosine = vector @ query / (np.linalg.norm(vector) * np.linalg.norm(query))
        raw = hit["_explanation"]["legs"]["image_knn"]["raw_score"]
        # int8 scores would be off by ~1e-3; the rescored ones agree to float32 precision
        assert raw == pytest.approx((1 + cosine) / 2, abs=2e-6)
    scores = [hit["_explanation"]["legs"]["image_knn"]["raw_score"] for hit in hits]
    assert scores == sorted(scores, reverse=True)


def test_the_service_knows_how_many_products_its_knn_legs_search(
    indexed: Settings, es: Elasticsearch
) -> None:
    # kNN legs explore a share of the index (settings.knn_candidate_share): the size comes from
    # the real count behind the alias.
    service = SearchService(indexed, gateway=ElasticsearchGateway(es, indexed.index_alias))
    assert service.doc_count() == 40
    hits = service.search(SearchRequest(text="red trainers", size=40))["hits"]["hits"]
    assert len(hits) == 40


def test_bm25_only_requests_never_call_the_model(indexed: Settings, es: Elasticsearch) -> None:
    embedder = CountingEmbedder(get_embedder(indexed))
    service = SearchService(
        indexed, gateway=ElasticsearchGateway(es, indexed.index_alias), embedder=embedder
    )
    bm25 = service.search(SearchRequest(text="trainers", legs=frozenset({"bm25"})))
    assert bm25["hits"]["hits"]
    assert embedder.calls == 0
    service.search(SearchRequest(text="trainers"))
    assert embedder.calls == 1


def test_a_ticked_brand_with_no_match_is_still_listed(indexed: Settings, es: Elasticsearch) -> None:
    service = SearchService(indexed, gateway=ElasticsearchGateway(es, indexed.index_alias))
    sources = [
        hit["_source"] for hit in es.search(index=indexed.index_alias, size=40)["hits"]["hits"]
    ]
    category = sources[0]["category"]
    brands_in = {s["brand"] for s in sources if s["category"] == category}
    absent = next(s["brand"] for s in sources if s["brand"] not in brands_in)
    request = SearchRequest.model_validate(
        {"text": "trainers", "filters": {"category": [category], "brand": [absent]}}
    )
    response = service.search(request)
    assert response["hits"]["hits"] == []  # nothing of that brand in that category
    brands = {b["key"]: b for b in response["aggregations"]["brand"]["buckets"]}
    assert brands[absent] == {"key": absent, "doc_count": 0, "selected": True}
    assert {b["key"] for b in brands.values() if not b.get("selected")} <= brands_in
    paths = {b["key"]: b for b in response["aggregations"]["category"]["paths"]}
    assert paths[category]["selected"] is True


def test_both_ways_of_fetching_products_return_the_same_page_whole_without_vectors(
    indexed: Settings, es: Elasticsearch
) -> None:
    pages = {}
    for fetch in ("page", "legs"):
        configured = indexed.model_copy(update={"source_fetch": fetch})
        service = SearchService(configured, gateway=ElasticsearchGateway(es, indexed.index_alias))
        response = service.search(SearchRequest(text="red trainers", size=5, page=2))
        pages[fetch] = [(hit["_id"], hit["_source"]) for hit in response["hits"]["hits"]]
    assert len(pages["page"]) == 5
    assert pages["page"] == pages["legs"]
    for _, source in pages["page"]:
        # colour_family is absent for a colour label of no family; every demo product has these
        assert {"title", "description", "price", "category"} <= set(source)
        assert not {"image_vector", "text_vector", "text_model_vector"} & set(source)


@pytest.mark.parametrize("fuzzy", [False, True])
def test_the_facets_count_exactly_the_products_the_bm25_leg_can_match(
    indexed: Settings, es: Elasticsearch, fuzzy: bool
) -> None:
    from hybrid.query.text_match import text_clause, text_match_clause

    def matched(query: dict[str, object]) -> set[str]:
        hits = es.search(index=indexed.index_alias, query=query, size=100, source=False)
        return {hit["_id"] for hit in hits["hits"]["hits"]}

    titles = [
        hit["_source"]["title"]
        for hit in es.search(index=indexed.index_alias, size=40)["hits"]["hits"]
    ]
    texts = ["trainers", "red trainers", "blue bag mug", "trainres", "red cotton lamp spoon"]
    texts += [" ".join(title.split()[:n]) for title in titles[:6] for n in (2, 3, 4)]
    sizes = []
    for text in texts:
        scored = text_clause(text, minimum_should_match="2<-34%", fuzzy=fuzzy)
        counted = text_match_clause(text, fuzzy=fuzzy)
        assert matched(scored) == matched(counted), text
        sizes.append(len(matched(scored)))
    assert any(0 < size < 40 for size in sizes)  # the sets are neither empty nor everything

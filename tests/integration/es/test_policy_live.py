"""The es package's error policy against the real server: 4xx is permanent, down is transient."""

from __future__ import annotations

import socket

import pytest
from elasticsearch import Elasticsearch

from hybrid import es as es_ops
from hybrid.errors import ElasticsearchRefusedError, SearchUnavailableError
from hybrid.settings import Settings

pytestmark = pytest.mark.integration


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_body_elasticsearch_refuses_is_permanent_not_unavailable(
    es: Elasticsearch, index_name: str
) -> None:
    es.indices.create(index=index_name, mappings={"properties": {"title": {"type": "text"}}})
    knn_on_text = {"knn": {"field": "title", "query_vector": [1.0], "k": 1, "num_candidates": 1}}
    with pytest.raises(ElasticsearchRefusedError) as caught:
        es_ops.msearch(es, index_name, [knn_on_text], timeout=10)
    assert caught.value.status == 400
    assert f"search on {index_name!r}" in str(caught.value)


def test_a_missing_index_is_refused_with_404(es: Elasticsearch, index_name: str) -> None:
    with pytest.raises(ElasticsearchRefusedError) as caught:
        es_ops.count(es, f"{index_name}-absent")
    assert caught.value.status == 404


def test_absent_product_is_none_not_an_error(es: Elasticsearch, index_name: str) -> None:
    es.indices.create(index=index_name)
    assert es_ops.get_product(es, index_name, "nope") is None


def test_an_unreachable_cluster_is_transient_and_names_no_host() -> None:
    port = _closed_port()
    settings = Settings(es_url=f"http://127.0.0.1:{port}", es_request_timeout=2)
    client = es_ops.make_client(settings)
    with pytest.raises(SearchUnavailableError) as caught:
        es_ops.msearch(client, "products", [{"query": {"match_all": {}}}], timeout=2)
    assert str(port) not in str(caught.value)

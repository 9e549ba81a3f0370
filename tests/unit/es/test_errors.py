"""hybrid.es.errors: the one policy, fed with the client's own exception objects."""

from __future__ import annotations

import pickle

import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import ApiError, ConnectionError, ConnectionTimeout

from hybrid.errors import ElasticsearchRefusedError, SearchUnavailableError
from hybrid.es.errors import check_item, translated


def _api_error(status: int, error_type: str = "illegal_argument_exception") -> ApiError:
    meta = ApiResponseMeta(
        status=status,
        http_version="1.1",
        headers=HttpHeaders(),
        duration=0.0,
        node=NodeConfig("http", "10.1.2.3", 9200),
    )
    body = {"error": {"type": error_type, "reason": "secret detail at 10.1.2.3:9200"}}
    return ApiError(error_type, meta=meta, body=body)


@pytest.mark.parametrize("status", [400, 403, 404, 409, 413])
def test_a_4xx_is_a_permanent_refusal_with_its_status(status: int) -> None:
    with pytest.raises(ElasticsearchRefusedError) as caught, translated("search on 'products'"):
        raise _api_error(status)
    assert caught.value.status == status
    assert str(caught.value).startswith("search on 'products': Elasticsearch refused")
    assert "illegal_argument_exception" in str(caught.value)


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_429_and_5xx_are_transient(status: int) -> None:
    with pytest.raises(SearchUnavailableError, match=f"answered {status}"), translated("count"):
        raise _api_error(status, "es_rejected_execution_exception")


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionError("Connection refused to http://10.1.2.3:9200"),
        ConnectionTimeout("timed out talking to http://10.1.2.3:9200"),
    ],
)
def test_connection_failures_are_transient_and_keep_hosts_out(exc: Exception) -> None:
    with pytest.raises(SearchUnavailableError) as caught, translated("bulk write to 'p'"):
        raise exc
    assert "unavailable" in str(caught.value)
    assert "10.1.2.3" not in str(caught.value)


def test_messages_never_carry_the_servers_free_text() -> None:
    with pytest.raises(ElasticsearchRefusedError) as caught, translated("reading product 'x'"):
        raise _api_error(400)
    assert "secret detail" not in str(caught.value)


def test_other_errors_pass_through_untouched() -> None:
    with pytest.raises(KeyError), translated("anything"):
        raise KeyError("not an Elasticsearch failure")


def test_msearch_items_follow_the_same_policy() -> None:
    check_item("search", {"hits": {"hits": []}, "status": 200})
    with pytest.raises(ElasticsearchRefusedError) as refused:
        check_item("search", {"error": {"type": "search_phase_execution_exception"}, "status": 400})
    assert refused.value.status == 400
    with pytest.raises(SearchUnavailableError):
        check_item("search", {"error": {"type": "node_not_connected"}, "status": 503})


def test_the_refusal_pickles_for_celery() -> None:
    error = ElasticsearchRefusedError("deleting product 'x': refused", status=403)
    copy = pickle.loads(pickle.dumps(error))
    assert (str(copy), copy.status) == (str(error), 403)

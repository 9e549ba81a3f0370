"""hybrid.es.serializers: orjson behind every JSON and NDJSON body, with the client's framing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import pytest
from elasticsearch.exceptions import SerializationError

from hybrid.es import make_client
from hybrid.es.serializers import OrjsonNdjsonSerializer, OrjsonSerializer
from hybrid.settings import Settings


def test_the_client_serialises_json_and_ndjson_with_orjson_in_both_modes() -> None:
    serializers = make_client(Settings(es_url="http://127.0.0.1:9391")).transport.serializers
    # The client sends compatibility-mode types to a 9.x server: those must map to orjson too.
    for mimetype in ("application/json", "application/vnd.elasticsearch+json"):
        assert type(serializers.get_serializer(mimetype)) is OrjsonSerializer
    for mimetype in ("application/x-ndjson", "application/vnd.elasticsearch+x-ndjson"):
        assert type(serializers.get_serializer(mimetype)) is OrjsonNdjsonSerializer


def test_an_msearch_body_is_one_json_line_per_item_and_reads_as_json_would() -> None:
    vector = np.array([0.25, -0.5], dtype=np.float32)
    lines = [{"index": "products"}, {"knn": {"query_vector": vector, "k": 10}, "size": 10}]
    body = OrjsonNdjsonSerializer().dumps(lines)
    assert body.endswith(b"\n") and body.count(b"\n") == 2
    assert [json.loads(line) for line in body.splitlines()] == [
        {"index": "products"},
        {"knn": {"query_vector": [0.25, -0.5], "k": 10}, "size": 10},
    ]
    assert OrjsonNdjsonSerializer().loads(b'{"took":3}\n{"took":4}\n') == [{"took": 3}, {"took": 4}]


def test_values_the_stdlib_client_accepted_serialise_the_same_way() -> None:
    data = {
        "when": datetime(2026, 12, 4, 12, 0, tzinfo=UTC),
        "price": Decimal("19.5"),
        "ids": ("a", "b"),
        7: "int key",
        "title": "Crème brûlée mug",
    }
    assert json.loads(OrjsonSerializer().dumps(data)) == {
        "when": "2026-12-04T12:00:00+00:00",
        "price": 19.5,
        "ids": ["a", "b"],
        "7": "int key",
        "title": "Crème brûlée mug",
    }


def test_an_object_json_cannot_write_is_refused_not_sent() -> None:
    with pytest.raises(SerializationError):
        OrjsonSerializer().dumps({"x": object()})


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (10**20, b"100000000000000000000"),
        ("a\ud800b", '"a\ud800b"'.encode("utf-8", "surrogatepass")),
    ],
    ids=["int beyond 64 bits", "lone surrogate"],
)
def test_what_orjson_refuses_is_written_as_json_wrote_it_for_elasticsearch_to_judge(
    value: object, written: bytes
) -> None:
    # One such record must fail as one item in _bulk, not fail the whole request in the client.
    line = OrjsonNdjsonSerializer().dumps([{"index": {"_id": "a"}}, {"stock": value}])
    assert line == b'{"index":{"_id":"a"}}\n{"stock":' + written + b"}\n"

"""hybrid.api.products: product batches and deletes, Redis or Elasticsearch down."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient
from support.api import (
    assert_error,
    post_json,
)


def test_product_batch_with_redis_down_is_503(client: TestClient) -> None:
    started = time.monotonic()
    response = client.post("/products", json=[{"id": "sku-1", "title": "Red sneaker"}])
    assert_error(response, 503, "unavailable", "ingestion queue (Redis) is unavailable")
    assert time.monotonic() - started < 5


def test_delete_with_redis_down_is_503(client: TestClient) -> None:
    assert_error(client.delete("/products/sku-1"), 503, "unavailable", "Redis")


def test_get_product_with_elasticsearch_down_is_503(client: TestClient) -> None:
    assert_error(client.get("/products/sku-1"), 503, "unavailable", "Elasticsearch")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("{}", "must be a JSON array of records; found an object"),
        ("[]", "has 0 records; expected 1 to 1000"),
        (json.dumps([{"id": f"sku-{i}", "title": "t"} for i in range(1001)]), "has 1001 records"),
        ('[{"id": "sku-1", "title": "t", "price": NaN}]', "finite number"),
    ],
)
def test_bad_product_batches_are_422(client: TestClient, body: str, fragment: str) -> None:
    assert_error(post_json(client, "/products", body), 422, "invalid_request", fragment)


def test_batch_without_a_valid_record_lists_every_problem(client: TestClient) -> None:
    batch = [{"id": "sku-1"}, "sku-2", {"id": "sku-3", "title": "t", "colour_code": 3}]
    body = assert_error(
        client.post("/products", json=batch), 422, "invalid_request", "none of the 3 records"
    )
    assert body["rejected"] == [
        {"index": 0, "id": "sku-1", "errors": ["title: Field required"]},
        {"index": 1, "id": None, "errors": ["expected a JSON object; found a string"]},
        {"index": 2, "id": "sku-3", "errors": ["colour_code: unknown field"]},
    ]


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("/products/sku-1?version=-1", "query.version"),
        ("/products/sku-1?version=abc", "query.version"),
        (f"/products/sku-1?version={2**63}", "query.version"),
        ("/products/" + "x" * 300, "path.product_id"),
    ],
)
def test_bad_delete_parameters_are_422(client: TestClient, path: str, fragment: str) -> None:
    assert_error(client.delete(path), 422, "invalid_request", fragment)


def test_poison_records_are_refused_at_the_door_with_their_reasons(client: TestClient) -> None:
    deep: dict[str, object] = {"x": "y"}
    for _ in range(500):
        deep = {"a": deep}
    batch = [
        {"id": "deep", "title": "t", "attributes": deep},
        {"id": "huge", "title": "t", "version": 2**63},
        {"id": "old", "title": "t", "updated_at": "1960-01-01T00:00:00Z"},
        {"id": "quoted", "title": "t", "price": "12.5"},
    ]
    body = assert_error(
        client.post("/products", json=batch), 422, "invalid_request", "none of the 4 records"
    )
    errors = {item["id"]: item["errors"][0] for item in body["rejected"]}
    assert "nested more than 8 levels deep" in errors["deep"]
    assert errors["huge"].startswith("version: expected below 10^18")
    assert errors["old"].startswith("updated_at: expected a time from 1970-01-01")
    assert errors["quoted"] == "price: Input should be a valid number"

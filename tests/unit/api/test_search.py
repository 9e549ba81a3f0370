"""hybrid.api.search: every bad search request is a 4xx with a clear message."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support.api import (
    FakeSearcher,
    assert_error,
    png,
    post_json,
)


def test_query_string_syntax_is_plain_text_and_reaches_the_service_verbatim(
    client: TestClient, fake: FakeSearcher
) -> None:
    text = 'title:foo OR (bar AND "baz~2 brand:* \\ /[a-z]/'
    response = client.post("/search", json={"text": text})
    assert response.status_code == 200
    assert response.json()["hits"]["hits"][0]["_id"] == "sku-1"
    assert [r.text for r in fake.requests] == [text]


@pytest.mark.parametrize(
    ("filters", "code", "fragment"),
    [
        ({"colour_family": ["reddish"]}, "invalid_filter", "unknown colour family 'reddish'"),
        ({"price": {"gte": 50, "lte": 10}}, "invalid_filter", "must be <= price.lte"),
        ({"price": {"gte": -1}}, "invalid_filter", "filters.price.gte"),
        ({"category": ["Footwear > "]}, "invalid_filter", "has an empty level"),
        ({"attributes": {"Bad Name!": ["x"]}}, "invalid_filter", "filters.attributes"),
        ({"colour": ["red"]}, "invalid_filter", "filters.colour: unknown field"),
        ("red", "invalid_filter", "filters"),
    ],
)
def test_malformed_filters_are_422(
    client: TestClient, fake: FakeSearcher, filters: Any, code: str, fragment: str
) -> None:
    response = client.post("/search", json={"text": "shoes", "filters": filters})
    assert_error(response, 422, code, fragment)
    assert fake.requests == []


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ({"size": 51}, "size is 51; the limit is 50"),
        ({"size": 0}, "size"),
        ({"size": 50, "page": 30}, "size * page is 1500"),
        ({"fusion": {"window": 501}}, "fusion.window is 501; the limit is 500"),
        ({"fusion": {"window": 10**12}}, "fusion.window"),
        ({"size": 10**30}, "size"),
        (
            {"fusion": {"weights": {"bm25": 1e308, "text_knn": 1e308}}},
            "fusion.weights.bm25: Input should be less than or equal to 1000",
        ),
    ],
)
def test_oversized_size_or_k_is_422(
    client: TestClient, extra: dict[str, Any], fragment: str
) -> None:
    response = client.post("/search", json={"text": "shoes", **extra})
    assert_error(response, 422, "invalid_request", fragment)


def test_unknown_fields_are_named(client: TestClient) -> None:
    response = client.post("/search", json={"text": "shoes", "colour": "red", "k": 5})
    assert_error(response, 422, "invalid_request", "colour: unknown field", "k: unknown field")


@pytest.mark.parametrize(
    "bound", ["NaN", "Infinity", "-Infinity", "1e400", "-1e999"], ids=lambda b: b.lower()
)
def test_non_finite_price_bounds_are_422(
    client: TestClient, fake: FakeSearcher, bound: str
) -> None:
    body = '{"text": "shoes", "filters": {"price": {"gte": 0, "lte": BOUND}}}'.replace(
        "BOUND", bound
    )
    assert_error(post_json(client, "/search", body), 422, "invalid_request", "finite number")
    assert fake.requests == []


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"", "empty"),
        (b'{"text": "shoes"', "not valid JSON"),
        (b'["shoes"]', "must be a JSON object; found an array"),
        (b"null", "found null"),
        (b'{"text": "shoes", "size": 1' + b"0" * 5000 + b"}", "not valid JSON"),
        (b"[" * 20_000 + b"]" * 20_000, "nested too deeply"),
        (b'{"text": "\xff"}', "not valid JSON"),
    ],
    ids=["empty", "truncated", "array", "null", "huge-int", "deep", "bad-utf8"],
)
def test_bodies_that_are_not_a_json_object_are_422(
    client: TestClient, body: bytes, fragment: str
) -> None:
    response = client.post("/search", content=body, headers={"content-type": "application/json"})
    assert_error(response, 422, "invalid_request", fragment)


@pytest.mark.parametrize("path", ["/search", "/products"])
def test_json_routes_refuse_other_content_types(client: TestClient, path: str) -> None:
    response = client.post(path, content=b"text=shoes", headers={"content-type": "text/plain"})
    assert_error(response, 415, "unsupported_media_type", "expected Content-Type application/json")


def test_json_without_content_type_is_accepted(client: TestClient) -> None:
    assert client.post("/search", content=b'{"text": "shoes"}').status_code == 200


def test_request_without_query_is_422(client: TestClient) -> None:
    response = client.post("/search", json={"filters": {"in_stock": True}})
    assert_error(response, 422, "invalid_request", "give at least one of text, image")


def test_invalid_base64_image_is_422(client: TestClient) -> None:
    response = client.post("/search", json={"image": {"data": "not base64!!"}})
    assert_error(response, 422, "invalid_request", "expected base64 image data")


def test_inline_image_that_is_not_an_image_is_422(client: TestClient) -> None:
    data = base64.b64encode(b"<html>definitely not a picture</html>").decode()
    response = client.post("/search", json={"image": {"data": data}, "text": "red"})
    body = assert_error(response, 422, "image_rejected", "not a supported image")
    assert body["reason"] == "unsupported_format"


def test_inline_image_is_accepted(client: TestClient, fake: FakeSearcher) -> None:
    data = base64.b64encode(png()).decode()
    assert client.post("/search", json={"image": {"data": data}}).status_code == 200
    assert fake.requests[0].image is not None
    assert fake.requests[0].image.data == png()


def test_image_upload_with_text_and_options_reaches_the_service(
    client: TestClient, fake: FakeSearcher
) -> None:
    options = json.dumps({"filters": {"colour_family": ["red"]}, "size": 5, "explain": True})
    response = client.post(
        "/search/image",
        files={"file": ("shoe.png", png(), "image/png")},
        data={"text": "  but in red ", "request": options},
    )
    assert response.status_code == 200, response.text
    request = fake.requests[0]
    assert request.image is not None and request.image.data == png()
    assert (request.text, request.size, request.explain) == ("but in red", 5, True)
    assert request.filters.colour_family == ["red"]


def test_uploaded_bytes_that_are_not_an_image_are_422(client: TestClient) -> None:
    response = client.post(
        "/search/image", files={"file": ("shoe.png", b"GIF89a but not really", "image/png")}
    )
    body = assert_error(response, 422, "image_rejected", "expected one of")
    assert body["reason"] == "unsupported_format"


def test_truncated_image_upload_is_422(client: TestClient) -> None:
    response = client.post("/search/image", files={"file": ("shoe.png", png()[:60], "image/png")})
    assert_error(response, 422, "image_rejected")


def test_empty_upload_is_422(client: TestClient) -> None:
    response = client.post("/search/image", files={"file": ("shoe.png", b"", "image/png")})
    assert_error(response, 422, "image_rejected", "is empty")


def test_upload_without_file_is_422(client: TestClient) -> None:
    response = client.post("/search/image", data={"text": "red shoes"})
    assert_error(response, 422, "invalid_request", "file")


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ('{"image": {"url": "https://example.com/a.png"}}', "the image is the uploaded file"),
        ('{"text": "blue"}', "text is given twice"),
        ('{"filters": {"price": {"lte": NaN}}}', "finite number"),
        ("[1, 2]", "must be a JSON object"),
        ('{"sise": 5}', "sise: unknown field"),
    ],
)
def test_bad_request_field_of_an_upload_is_422(
    client: TestClient, options: str, fragment: str
) -> None:
    response = client.post(
        "/search/image",
        files={"file": ("shoe.png", png(), "image/png")},
        data={"text": "red", "request": options},
    )
    assert_error(response, 422, "invalid_request", fragment)

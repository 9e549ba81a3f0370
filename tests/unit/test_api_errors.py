"""Tests for hybrid.api: every bad request is a 4xx with a clear message, never a 5xx.

The app runs in-process (TestClient) with a fake searcher, the API's one injection point. Like
the real executor, the fake decodes a request's image, so image errors come from the real
:mod:`hybrid.images`. Elasticsearch and Redis point at closed loopback ports: the endpoints
that need them must answer 503, quickly.
"""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from hybrid.api import create_app
from hybrid.api.limits import base64_size, loads_strict
from hybrid.errors import (
    ConfigurationError,
    HybridSearchError,
    ImageRejectedError,
    InvalidRequestError,
    ProductNotFoundError,
    SearchUnavailableError,
)
from hybrid.images import ImageLimits, load_image
from hybrid.query.request import SearchRequest
from hybrid.settings import Settings
from hybrid.stack import procs

MAX_IMAGE = 40_000

RESPONSE: dict[str, Any] = {
    "took": 3,
    "timed_out": False,
    "hits": {
        "total": {"value": 1, "relation": "gte"},
        "max_score": 0.5,
        "hits": [{"_index": "products", "_id": "sku-1", "_score": 0.5, "_source": {"id": "sku-1"}}],
    },
    "understanding": {"mode": "boost"},
    "fusion": {"method": "rrf", "legs": {"bm25": 1}},
}


class FakeSearcher:
    """Records requests; decodes images like the real executor; can fail or hang on demand."""

    def __init__(self, settings: Settings) -> None:
        self.limits = ImageLimits.from_settings(settings)
        self.requests: list[SearchRequest] = []
        self.error: Exception | None = None
        self.release = threading.Event()
        self.hang = False

    def search(self, request: SearchRequest) -> dict[str, Any]:
        self.requests.append(request)
        if self.hang:
            self.release.wait(10)
        if self.error is not None:
            raise self.error
        if request.image is not None:
            load_image(request.image, root=None, limits=self.limits)
        return RESPONSE


@pytest.fixture
def settings() -> Settings:
    return Settings(
        es_url=f"http://127.0.0.1:{procs.free_port()}",
        redis_url=f"redis://127.0.0.1:{procs.free_port()}/0",
        max_image_bytes=MAX_IMAGE,
        search_timeout=3.0,
        max_size=50,
        max_num_candidates=500,
    )


@pytest.fixture
def fake(settings: Settings) -> Iterator[FakeSearcher]:
    searcher = FakeSearcher(settings)
    yield searcher
    searcher.release.set()  # let a hung search thread finish


@pytest.fixture
def client(settings: Settings, fake: FakeSearcher) -> Iterator[TestClient]:
    with TestClient(create_app(settings, service=fake)) as test_client:
        yield test_client


def png(colour: tuple[int, int, int] = (200, 30, 30), size: int = 32) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def post_json(client: TestClient, path: str, body: str) -> Any:
    return client.post(path, content=body, headers={"content-type": "application/json"})


def assert_error(response: Any, status: int, code: str, *fragments: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == code
    for fragment in fragments:
        assert fragment in body["detail"]
    return body


# --- /search: bad content is a 422 that says what is wrong --------------------------------------


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


# --- /search/image ------------------------------------------------------------------------------


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


def test_upload_over_the_image_cap_is_413(client: TestClient, fake: FakeSearcher) -> None:
    too_big = png() + b"\0" * MAX_IMAGE  # within the body allowance, above the image cap
    response = client.post("/search/image", files={"file": ("big.png", too_big, "image/png")})
    body = assert_error(response, 413, "image_too_large", f"the limit is {MAX_IMAGE} bytes")
    assert body["reason"] == "too_large"
    assert fake.requests == []


def test_upload_far_over_the_cap_is_refused_before_it_is_read(client: TestClient) -> None:
    response = client.post(
        "/search/image", files={"file": ("huge.png", b"\0" * (MAX_IMAGE * 10), "image/png")}
    )
    assert_error(response, 413, "too_large", "request body is")


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


def test_too_many_form_fields_is_a_4xx(client: TestClient) -> None:
    response = client.post(
        "/search/image",
        files={"file": ("shoe.png", png(), "image/png")},
        data={"text": "red", "request": "{}", "more": "x"},
    )
    assert response.status_code == 400
    assert "fields" in response.json()["detail"]


# --- body caps ----------------------------------------------------------------------------------


def test_oversized_json_body_is_413_before_parsing(client: TestClient, fake: FakeSearcher) -> None:
    limit = base64_size(MAX_IMAGE) + 64 * 1024
    body = '{"text": "' + "a" * limit + '"}'
    assert_error(post_json(client, "/search", body), 413, "too_large", f"the limit is {limit}")
    assert fake.requests == []


def test_oversized_chunked_body_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: the cap counts what arrives
        yield b'{"text": "'
        for _ in range(200):
            yield b"a" * 1024
        yield b'"}'

    response = client.post(
        "/search", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_error(response, 413, "too_large", "more than")


def test_small_routes_have_a_small_cap(client: TestClient) -> None:
    response = client.request("DELETE", "/products/sku-1", content=b"x" * 100_000)
    assert_error(response, 413, "too_large")


# --- errors the service raises ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (SearchUnavailableError("search on 'products' failed: timed out"), 503, "unavailable"),
        (ProductNotFoundError("product 'sku-9' is not in index 'products'"), 404, "not_found"),
        (InvalidRequestError("leg 'bm25' needs text"), 422, "invalid_request"),
        (ImageRejectedError("image is 9000x9000 px", reason="too_many_pixels"), 413,
         "image_too_large"),
        (ImageRejectedError("image at URL answered HTTP 404", reason="http_404"), 422,
         "image_rejected"),
        (ConfigurationError("index 'products' holds vectors of model 'x'; this is 'y'"), 500,
         "configuration_error"),
    ],
)  # fmt: skip
def test_service_errors_map_to_statuses_with_their_message(
    client: TestClient, fake: FakeSearcher, error: HybridSearchError, status: int, code: str
) -> None:
    fake.error = error
    response = client.post("/search", json={"text": "shoes"})
    assert_error(response, status, code, str(error))


def test_slow_search_is_answered_504_at_the_deadline(
    client: TestClient, fake: FakeSearcher
) -> None:
    fake.hang = True
    started = time.monotonic()
    response = client.post("/search", json={"text": "shoes"})
    assert_error(response, 504, "timeout", "did not finish within 3 s")
    assert time.monotonic() - started < 8


def test_unexpected_error_is_500_without_internals(settings: Settings, fake: FakeSearcher) -> None:
    fake.error = KeyError("secret internal state")
    with TestClient(create_app(settings, service=fake), raise_server_exceptions=False) as client:
        response = client.post("/search", json={"text": "shoes"})
    body = assert_error(response, 500, "internal_error")
    assert "secret" not in response.text and "see the server log" in body["detail"]


# --- products and health with Elasticsearch and Redis down --------------------------------------


def test_product_batch_with_redis_down_is_503(client: TestClient) -> None:
    started = time.monotonic()
    response = client.post("/products", json=[{"id": "sku-1", "title": "Red sneaker"}])
    assert_error(response, 503, "unavailable", "ingestion queue (Redis) is unavailable")
    assert time.monotonic() - started < 5


def test_delete_with_redis_down_is_503(client: TestClient) -> None:
    assert_error(client.delete("/products/sku-1"), 503, "unavailable", "Redis")


def test_get_product_with_elasticsearch_down_is_503(client: TestClient) -> None:
    assert_error(client.get("/products/sku-1"), 503, "unavailable", "Elasticsearch")


def test_health_reports_both_services_down_as_503_json(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert not body["elasticsearch"]["up"] and body["elasticsearch"]["error"]
    assert not body["redis"]["up"] and "Connection refused" in body["redis"]["error"]


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


def test_unknown_route_and_method_get_json_errors(client: TestClient) -> None:
    assert_error(client.get("/nowhere"), 404, "not_found")
    assert_error(client.get("/search"), 405, "method_not_allowed")


# --- OpenAPI and strict JSON --------------------------------------------------------------------


def test_openapi_documents_request_and_response_models(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert {"SearchRequest", "Filters", "ImageRef", "ProductRecord", "SearchResponse"} <= set(
        schemas
    )
    search = spec["paths"]["/search"]["post"]
    body_schema = search["requestBody"]["content"]["application/json"]["schema"]
    assert body_schema == {"$ref": "#/components/schemas/SearchRequest"}
    assert search["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SearchResponse"
    }
    assert {"413", "422", "503", "504"} <= set(search["responses"])
    assert set(spec["paths"]) >= {"/search", "/search/image", "/health", "/products",
                                  "/products/{product_id}"}  # fmt: skip
    refs = json.dumps(spec)
    for ref in set(part.split('"')[0] for part in refs.split("#/components/schemas/")[1:]):
        assert ref in schemas, f"dangling $ref {ref}"


def test_loads_strict_keeps_ordinary_json() -> None:
    assert loads_strict(b'{"a": [1, 2.5, -3e2, true, null, "NaN"]}') == {
        "a": [1, 2.5, -300.0, True, None, "NaN"]
    }

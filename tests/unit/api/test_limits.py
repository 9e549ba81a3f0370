"""hybrid.api.limits: body caps (413) and strict JSON."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.testclient import TestClient
from support.api import (
    MAX_IMAGE,
    FakeSearcher,
    assert_error,
    png,
    post_json,
)

from hybrid.api.limits import base64_size, loads_strict


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


def test_too_many_form_fields_is_a_4xx(client: TestClient) -> None:
    response = client.post(
        "/search/image",
        files={"file": ("shoe.png", png(), "image/png")},
        data={"text": "red", "request": "{}", "more": "x"},
    )
    assert response.status_code == 400
    assert "fields" in response.json()["detail"]


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


def test_loads_strict_keeps_ordinary_json() -> None:
    assert loads_strict(b'{"a": [1, 2.5, -3e2, true, null, "NaN"]}') == {
        "a": [1, 2.5, -300.0, True, None, "NaN"]
    }
